//! `normalize_platform`: containerd's `Parse` + `Normalize`
//! (github.com/containerd/platforms `platforms_test.go` `TestParseSelector`,
//! `TestParseSelectorInvalid`, and `database.go`'s aliases), with the host
//! machine standing in for Go's `runtime.GOOS`/`GOARCH`.

use manifest_generation_core::{
    Error, HostMachine, KNOWN_ARCHITECTURES, KNOWN_OPERATING_SYSTEMS, Platform, normalize_platform,
};

fn host(os: &str, arch: &str) -> HostMachine {
    HostMachine {
        os: os.into(),
        arch: arch.into(),
        little_endian: true,
    }
}

fn linux_amd64_host() -> HostMachine {
    host("linux", "x86_64")
}

/// `os/arch[/variant]` of a normalised platform, with OS options.
fn spec_of(p: &Platform) -> String {
    let mut os = p.os.clone();
    if p.os_version.is_some() || !p.os_features.is_empty() {
        os = format!(
            "{os}({}{})",
            p.os_version.as_deref().unwrap_or_default(),
            p.os_features
                .iter()
                .map(|f| format!("+{f}"))
                .collect::<String>()
        );
    }
    [
        Some(os),
        Some(p.architecture.clone()),
        p.cpu_variant.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("/")
}

fn normal(spec: &str, on: &HostMachine) -> String {
    let p = normalize_platform(Some(spec), on).unwrap_or_else(|e| panic!("{spec}: {e}"));
    spec_of(&p)
}

fn invalid(spec: Option<&str>, on: &HostMachine) -> String {
    match normalize_platform(spec, on) {
        Err(Error::InvalidInput(m)) => m,
        other => panic!("{spec:?}: expected invalid-input, got {other:?}"),
    }
}

/// TestParseSelector, each expected platform then normalised; the host is
/// linux/amd64 (the Go test's `defaultOS`/`defaultArch`).
#[test]
fn containerd_parse_selector_cases() {
    let h = linux_amd64_host();
    for (input, expected) in [
        ("linux/arm64", "linux/arm64"),
        ("linux/arm64/v8", "linux/arm64"),
        ("linux/arm", "linux/arm/v7"),
        ("linux/arm/v6", "linux/arm/v6"),
        ("linux/arm/v7", "linux/arm/v7"),
        ("arm", "linux/arm/v7"),
        ("armel", "linux/arm/v6"),
        ("armhf", "linux/arm/v7"),
        ("Aarch64", "linux/arm64"),
        ("x86_64", "linux/amd64"),
        ("Linux/x86_64", "linux/amd64"),
        ("i386", "linux/386"),
        ("linux", "linux/amd64"),
        ("s390x", "linux/s390x"),
        ("linux/s390x", "linux/s390x"),
        ("macOS", "darwin/amd64"),
        ("windows", "windows/amd64"),
        ("windows()", "windows/amd64"),
        ("windows(10.0.17763)", "windows(10.0.17763)/amd64"),
        (
            "windows(10.0.17763+win32k)",
            "windows(10.0.17763+win32k)/amd64",
        ),
        ("linux(+gpu)", "linux(+gpu)/amd64"),
        ("linux(+gpu+simd)", "linux(+gpu+simd)/amd64"),
        // Normalize sorts the features.
        ("linux(+unsorted+erofs)", "linux(+erofs+unsorted)/amd64"),
        (
            "windows(10.0.17763%2Bbuild.42)",
            "windows(10.0.17763+build.42)/amd64",
        ),
        (
            "windows(10.0.17763%2Bbuild.42+win32k)",
            "windows(10.0.17763+build.42+win32k)/amd64",
        ),
        ("windows(50%25done)", "windows(50%done)/amd64"),
    ] {
        assert_eq!(normal(input, &h), expected, "{input}");
    }
}

/// TestParseSelectorInvalid, plus wildcards (not supported, as in Go).
#[test]
fn containerd_parse_selector_invalid_cases() {
    let h = linux_amd64_host();
    for input in [
        "",
        "/linux/arm",
        "linux/arm/",
        "linux /arm",
        "linux/&arm",
        "linux/arm/foo/bar",
        "*",
        "linux/*",
        "windows(10.0",
        "windows(10%zz)",
        "linux(+)",
        "linux(+a++b)",
    ] {
        let m = invalid(Some(input), &h);
        assert!(m.starts_with(&format!("platform {input:?}: ")), "{m}");
    }
}

#[test]
fn aliases_and_variants_follow_containerds_normalize_arch() {
    let h = linux_amd64_host();
    for (input, expected) in [
        ("linux/x86-64", "linux/amd64"),
        ("linux/AMD64", "linux/amd64"),
        ("linux/amd64/v1", "linux/amd64"),
        ("linux/amd64/v2", "linux/amd64/v2"),
        ("linux/amd64/V3", "linux/amd64/v3"),
        ("linux/x86", "linux/386"),
        ("linux/i386/v6", "linux/386"),
        ("linux/aarch64/8", "linux/arm64"),
        ("linux/arm64/v8.0", "linux/arm64"),
        ("linux/arm64/9", "linux/arm64/v9"),
        ("linux/arm64/9.0", "linux/arm64/v9"),
        ("linux/arm64/v9.0", "linux/arm64/v9"),
        ("linux/arm64/v8.2", "linux/arm64/v8.2"),
        ("linux/arm/5", "linux/arm/v5"),
        ("linux/arm/6", "linux/arm/v6"),
        ("linux/arm/7", "linux/arm/v7"),
        ("linux/arm/8", "linux/arm/v8"),
        ("linux/armhf/v6", "linux/arm/v7"),
        ("linux/armel", "linux/arm/v6"),
        ("LINUX/PPC64LE", "linux/ppc64le"),
        ("freebsd/riscv64", "freebsd/riscv64"),
        ("linux/loong64", "linux/loong64"),
        ("macos/arm64", "darwin/arm64"),
        ("Windows(10.0.20348)/AMD64", "windows(10.0.20348)/amd64"),
        ("linux(+a+a+b)/arm64", "linux(+a+b)/arm64"),
    ] {
        assert_eq!(normal(input, &h), expected, "{input}");
    }
}

#[test]
fn a_lone_os_takes_the_host_architecture_and_a_lone_architecture_the_host_os() {
    let mac = host("macos", "aarch64");
    assert_eq!(normal("linux", &mac), "linux/arm64");
    assert_eq!(normal("amd64", &mac), "darwin/amd64");
    let pi = host("linux", "arm");
    assert_eq!(normal("linux", &pi), "linux/arm/v7");
    assert_eq!(normal("windows", &host("windows", "x86")), "windows/386");
}

#[test]
fn unknown_operating_systems_and_architectures_are_refused_with_the_known_ones() {
    let h = linux_amd64_host();
    let m = invalid(Some("plan10/amd64"), &h);
    assert!(m.contains("\"plan10\""), "{m}");
    for os in KNOWN_OPERATING_SYSTEMS {
        assert!(m.contains(os), "{m} lacks {os}");
    }
    let m = invalid(Some("linux/z80"), &h);
    assert!(m.contains("\"z80\""), "{m}");
    for arch in KNOWN_ARCHITECTURES {
        assert!(m.contains(arch), "{m} lacks {arch}");
    }
    let m = invalid(Some("z80"), &h);
    assert!(
        m.contains("unknown operating system or architecture")
            && m.contains("linux")
            && m.contains("riscv64"),
        "{m}"
    );
}

#[test]
fn without_a_spec_the_host_machine_in_go_terms() {
    for (os, arch, little_endian, expected) in [
        ("linux", "x86_64", true, "linux/amd64"),
        ("linux", "aarch64", true, "linux/arm64"),
        ("linux", "x86", true, "linux/386"),
        ("linux", "arm", true, "linux/arm/v7"),
        ("linux", "powerpc64", true, "linux/ppc64le"),
        ("linux", "powerpc64", false, "linux/ppc64"),
        ("linux", "s390x", false, "linux/s390x"),
        ("linux", "riscv64", true, "linux/riscv64"),
        ("linux", "loongarch64", true, "linux/loong64"),
        ("linux", "mips64", true, "linux/mips64le"),
        ("linux", "mips64", false, "linux/mips64"),
        ("linux", "mips", true, "linux/mipsle"),
        ("macos", "aarch64", true, "darwin/arm64"),
        ("windows", "x86_64", true, "windows/amd64"),
        ("freebsd", "x86_64", true, "freebsd/amd64"),
    ] {
        let on = HostMachine {
            os: os.into(),
            arch: arch.into(),
            little_endian,
        };
        let p = normalize_platform(None, &on).unwrap();
        assert_eq!(spec_of(&p), expected, "{os}/{arch}");
    }
}

#[test]
fn a_host_without_a_go_name_is_refused() {
    let m = invalid(None, &host("linux", "m68k"));
    assert!(m.contains("\"m68k\"") && m.contains("amd64"), "{m}");
    let m = invalid(None, &host("fuchsia", "x86_64"));
    assert!(m.contains("\"fuchsia\"") && m.contains("linux"), "{m}");
    // A spec that names both does not need the host.
    assert_eq!(
        normal("linux/amd64", &host("fuchsia", "m68k")),
        "linux/amd64"
    );
}

#[test]
fn the_result_is_a_fixed_point() {
    let h = linux_amd64_host();
    for input in [
        "armhf",
        "linux/arm64/v8",
        "macos/x86_64",
        "windows(1+b+a)/amd64/v2",
    ] {
        let once = normal(input, &h);
        assert_eq!(normal(&once, &h), once, "{input}");
    }
}
