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

mod select {
    use manifest_generation_core::{
        Descriptor, Error, MEDIA_TYPE_OCI_MANIFEST, Platform, select_platform,
    };

    fn entry(n: u8, os: &str, arch: &str, variant: Option<&str>) -> Descriptor {
        Descriptor {
            platform: Some(Platform {
                architecture: arch.into(),
                os: os.into(),
                cpu_variant: variant.map(Into::into),
                ..Platform::default()
            }),
            ..Descriptor::new(
                MEDIA_TYPE_OCI_MANIFEST,
                ocipipe_sdk::digest::sha256(&[n]),
                100 + u64::from(n),
            )
        }
    }

    fn wanted(os: &str, arch: &str, variant: Option<&str>) -> Platform {
        Platform {
            architecture: arch.into(),
            os: os.into(),
            cpu_variant: variant.map(Into::into),
            ..Platform::default()
        }
    }

    /// The size of the chosen entry (entries are told apart by it).
    fn chosen(manifests: &[Descriptor], os: &str, arch: &str, variant: Option<&str>) -> u64 {
        select_platform(manifests, &wanted(os, arch, variant))
            .unwrap_or_else(|e| panic!("{os}/{arch}/{variant:?}: {e}"))
            .size
    }

    fn refusal(manifests: &[Descriptor], os: &str, arch: &str, variant: Option<&str>) -> String {
        match select_platform(manifests, &wanted(os, arch, variant)) {
            Err(Error::InvalidInput(m)) => m,
            other => panic!("{os}/{arch}/{variant:?}: expected invalid-input, got {other:?}"),
        }
    }

    /// A two-platform index as buildkit pushes it, with its attestation
    /// entry and one entry without a platform.
    fn two_platforms() -> Vec<Descriptor> {
        vec![
            Descriptor::new(
                MEDIA_TYPE_OCI_MANIFEST,
                ocipipe_sdk::digest::sha256(b"x"),
                1,
            ),
            entry(1, "linux", "amd64", None),
            entry(2, "linux", "arm64", Some("v8")),
            entry(3, "unknown", "unknown", None),
        ]
    }

    #[test]
    fn picks_the_entry_of_the_platform_in_any_spelling() {
        let index = two_platforms();
        assert_eq!(chosen(&index, "linux", "amd64", None), 101);
        assert_eq!(chosen(&index, "linux", "x86_64", None), 101);
        assert_eq!(chosen(&index, "Linux", "AMD64", None), 101);
        assert_eq!(chosen(&index, "linux", "amd64", Some("v1")), 101);
        assert_eq!(chosen(&index, "linux", "arm64", None), 102);
        assert_eq!(chosen(&index, "linux", "aarch64", None), 102);
        assert_eq!(chosen(&index, "linux", "arm64", Some("v8")), 102);
        assert_eq!(chosen(&index, "linux", "arm64", Some("8")), 102);
        // The whole descriptor comes back, platform included.
        let got = select_platform(&index, &wanted("linux", "arm64", None)).unwrap();
        assert_eq!(got, index[2]);
    }

    #[test]
    fn an_arm64_entry_without_variant_is_v8() {
        let index = vec![entry(1, "linux", "arm64", None)];
        assert_eq!(chosen(&index, "linux", "arm64", Some("v8")), 101);
        assert_eq!(chosen(&index, "linux", "aarch64", None), 101);
        let m = refusal(&index, "linux", "arm64", Some("v9"));
        assert_eq!(
            m,
            "no manifest for linux/arm64/v9 in the index; it has linux/arm64"
        );
    }

    #[test]
    fn arm_means_arm_v7() {
        let index = vec![
            entry(1, "linux", "arm", Some("v6")),
            entry(2, "linux", "arm", Some("v7")),
        ];
        assert_eq!(chosen(&index, "linux", "arm", None), 102);
        assert_eq!(chosen(&index, "linux", "armhf", None), 102);
        assert_eq!(chosen(&index, "linux", "arm", Some("7")), 102);
        assert_eq!(chosen(&index, "linux", "arm", Some("v6")), 101);
        assert_eq!(chosen(&index, "linux", "armel", None), 101);
        let m = refusal(&index, "linux", "arm", Some("v5"));
        assert_eq!(
            m,
            "no manifest for linux/arm/v5 in the index; it has linux/arm/v6, linux/arm/v7"
        );
        // An arm entry without a variant is v7.
        let bare = vec![entry(3, "linux", "arm", None)];
        assert_eq!(chosen(&bare, "linux", "arm", Some("v7")), 103);
        refusal(&bare, "linux", "arm", Some("v6"));
    }

    #[test]
    fn without_a_wanted_variant_any_variant_matches_and_the_first_wins() {
        let index = vec![
            entry(1, "linux", "amd64", Some("v3")),
            entry(2, "linux", "amd64", None),
            entry(3, "linux", "amd64", Some("v2")),
        ];
        assert_eq!(chosen(&index, "linux", "amd64", None), 101);
        assert_eq!(chosen(&index, "linux", "amd64", Some("v2")), 103);
        let twice = vec![
            entry(1, "linux", "s390x", None),
            entry(2, "linux", "s390x", None),
        ];
        assert_eq!(chosen(&twice, "linux", "s390x", None), 101);
    }

    #[test]
    fn os_version_and_features_are_not_compared() {
        let mut windows = entry(1, "windows", "amd64", None);
        windows.platform.as_mut().unwrap().os_version = Some("10.0.17763.5576".into());
        windows.platform.as_mut().unwrap().os_features = vec!["win32k".into()];
        assert_eq!(chosen(&[windows], "windows", "amd64", None), 101);
    }

    #[test]
    fn no_match_lists_the_platforms_the_index_has() {
        let m = refusal(&two_platforms(), "linux", "s390x", None);
        assert_eq!(
            m,
            "no manifest for linux/s390x in the index; it has linux/amd64, linux/arm64/v8, unknown/unknown"
        );
        let m = refusal(&two_platforms(), "windows", "amd64", None);
        assert!(
            m.starts_with("no manifest for windows/amd64 in the index"),
            "{m}"
        );
    }

    #[test]
    fn entries_without_a_platform_are_skipped() {
        let plain = vec![
            Descriptor::new(
                MEDIA_TYPE_OCI_MANIFEST,
                ocipipe_sdk::digest::sha256(b"a"),
                1,
            ),
            Descriptor::new(
                MEDIA_TYPE_OCI_MANIFEST,
                ocipipe_sdk::digest::sha256(b"b"),
                2,
            ),
        ];
        assert_eq!(
            refusal(&plain, "linux", "amd64", None),
            "no manifest for linux/amd64: none of the index's 2 manifests names a platform"
        );
        assert_eq!(
            refusal(&[], "linux", "amd64", None),
            "no manifest for linux/amd64: the index lists no manifests"
        );
    }

    #[test]
    fn refuses_a_wanted_platform_without_os_or_architecture() {
        let m = refusal(&two_platforms(), "", "amd64", None);
        assert_eq!(m, "wanted platform: no os");
        let m = refusal(&two_platforms(), "linux", "", None);
        assert_eq!(m, "wanted platform: no architecture");
    }
}
