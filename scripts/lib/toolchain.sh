# Where every tool of the build comes from, by absolute path. Sourced by
# scripts/setup (which installs what is missing) and scripts/build-components
# (which refuses, naming the piece, when something is missing). Nothing here
# trusts PATH: a tool found only because one machine happens to have it would
# pass there and fail on a bare machine.
#
# The pieces, and why each comes from where it does:
#   just              PyPI's rust-just wheel, pinned, installed with
#                     `pip --target` into $tools (Debian 12's python3 refuses
#                     plain `pip install`, PEP 668); `cargo install` pinned
#                     when the machine has no pip.
#   wasm toolchain    rustup's wasm32-wasip2 target when installed (it brings
#                     its own linkers). Otherwise Debian's rustc-web 1.96 with
#                     -Z build-std (rustup here has no wasm std and cannot
#                     fetch one), which needs:
#   wasm-component-ld the linker wasm32-wasip2 names. Debian's rustc-web does
#                     not ship it. rustup's own toolchain carries one (the
#                     same program rustc uses for this target); when it does
#                     not, a pinned build from crates.io goes into $tools.
#   wasm-ld           run by wasm-component-ld; Debian's lld-22 installs it
#                     only as /usr/lib/llvm-22/bin/wasm-ld, so it is passed by
#                     path (--wasm-ld-path).

# shellcheck shell=bash
root=${root:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
tools="$root/target/tools"

JUST_VERSION=1.59.0
WASM_COMPONENT_LD_VERSION=0.5.21

just_bin="$tools/just-$JUST_VERSION/bin/just"
debian_rustc=/usr/bin/rustc
debian_cargo=/usr/bin/cargo
debian_std_src=/usr/lib/rustlib/src/rust/library
wasi_libc_dir=/usr/lib/wasm32-wasi
wasm_ld=/usr/lib/llvm-22/bin/wasm-ld
debian_packages=(rustc-web cargo-web rust-web-src lld-22 wasi-libc)

# rustup's cargo and rustc, by path; empty when rustup is absent.
rustup_cargo() { command -v rustup >/dev/null 2>&1 && rustup which cargo 2>/dev/null || true; }
rustup_rustc() { command -v rustup >/dev/null 2>&1 && rustup which rustc 2>/dev/null || true; }

# True when rustup has a wasm32-wasip2 standard library installed.
rustup_has_wasip2() {
  command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2
}

# The wasm-component-ld to link with: rustup's toolchain copy, else ours.
wasm_component_ld() {
  local rustc sysroot host
  rustc=$(rustup_rustc)
  if [ -n "$rustc" ]; then
    sysroot=$("$rustc" --print sysroot)
    host=$("$rustc" -vV | sed -n 's/^host: //p')
    if [ -x "$sysroot/lib/rustlib/$host/bin/wasm-component-ld" ]; then
      echo "$sysroot/lib/rustlib/$host/bin/wasm-component-ld"
      return
    fi
  fi
  echo "$tools/wasm-component-ld-$WASM_COMPONENT_LD_VERSION/bin/wasm-component-ld"
}

# Installs the pinned just into $tools (pip when there is one, else cargo).
install_just() {
  local dir="$tools/just-$JUST_VERSION"
  echo "setup: installing just $JUST_VERSION into $dir" >&2
  rm -rf "$dir.tmp"
  if /usr/bin/python3 -m pip --version >/dev/null 2>&1; then
    /usr/bin/python3 -m pip install -q --disable-pip-version-check --no-warn-script-location \
      --root-user-action=ignore --target "$dir.tmp" "rust-just==$JUST_VERSION" >&2
  else
    "$(rustup_cargo)" install -q --locked --root "$dir.tmp" "just@$JUST_VERSION" >&2
  fi
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

# Installs the pinned wasm-component-ld into $tools from crates.io.
install_wasm_component_ld() {
  local dir="$tools/wasm-component-ld-$WASM_COMPONENT_LD_VERSION"
  echo "setup: building wasm-component-ld $WASM_COMPONENT_LD_VERSION from crates.io into $dir" >&2
  rm -rf "$dir.tmp"
  "$(rustup_cargo)" install -q --locked --root "$dir.tmp" "wasm-component-ld@$WASM_COMPONENT_LD_VERSION" >&2
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
}
