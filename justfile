# ocipipe tasks. `./dev RECIPE` runs these on a machine without `just`.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# Install what this machine lacks (toolchain pieces, engine, registry, tools).
setup:
    scripts/setup

# Build the wasm components (the host build also does this).
build-components: setup
    scripts/build-components

# Build the ocipipe binary (release), components included.
build: setup
    cargo build --release --locked

# The demo pipeline: normalise references, build and tag an image in a Docker Engine.
demo: build
    scripts/demo

# Every test: formatting, lints, component unit tests, host unit tests and the
# engine-free `cli` tests, then the `e2e` tests against a private Docker Engine
# and registry.
test: build
    cargo fmt --all --check
    cargo fmt --all --check --manifest-path components/Cargo.toml
    cargo fmt --all --check --manifest-path tests/fixtures/Cargo.toml
    cargo clippy --release --locked --all-targets -- -D warnings
    cargo clippy --locked --manifest-path components/Cargo.toml --target-dir target/native-components --workspace --all-targets -- -D warnings
    cargo clippy --locked --manifest-path tests/fixtures/Cargo.toml --target-dir target/native-components --workspace --all-targets -- -D warnings
    cargo test --locked --manifest-path components/Cargo.toml --target-dir target/native-components --workspace
    {{just_executable()}} package-crates
    cargo test --release --locked --lib --bins --test cli
    scripts/services -- cargo test --release --locked --test e2e

# Prove the test services work with a real client: the three registries and
# the token server (check-services), the registry fault proxy (check-fault-proxy).
check-services: setup
    scripts/services -- tests/fixtures/check-services.sh
    scripts/services -- tests/fixtures/check-fault-proxy.sh

# The crates a component author depends on (the SDK and the four cores)
# package and build on their own, as crates.io would have them.
package-crates:
    cargo package --locked --allow-dirty --manifest-path components/Cargo.toml --target-dir target/native-components -p ocipipe-sdk -p ocipipe-tagging-core -p ocipipe-tar-assembly-core -p ocipipe-manifest-generation-core -p ocipipe-privileges-core

# Format everything.
fmt:
    cargo fmt --all
    cargo fmt --all --manifest-path components/Cargo.toml
    cargo fmt --all --manifest-path tests/fixtures/Cargo.toml

# Benchmarks: CLI start-up warm vs cold compile cache, instantiate+call.
bench: build
    scripts/bench
