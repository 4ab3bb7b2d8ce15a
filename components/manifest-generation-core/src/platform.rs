//! Platforms as people write them, validated and normalised the way
//! containerd's `platforms.Parse` then `platforms.Normalize` do
//! (github.com/containerd/platforms `platforms.go`, `database.go`), with
//! the host's machine standing in for Go's `runtime.GOOS`/`GOARCH`.
//!
//! Owns: the specifier syntax (`<os>[(<version>[+<feature>]…)]`, `<arch>`,
//! or `<os>/<arch>[/<variant>]`), the aliases (`macos` → `darwin`;
//! `i386`/`x86` → `386`; `x86_64`/`x86-64` → `amd64`, variant `v1` dropped;
//! `aarch64` → `arm64`, variant `8`/`v8`/`v8.0` dropped, `9`/`9.0`/`v9.0` →
//! `v9`; `armhf` → `arm/v7`, `armel` → `arm/v6`; `arm` without a variant →
//! `arm/v7`, `5`/`6`/`7`/`8` → `v5`…), the lists of known operating
//! systems and architectures (Go's, as containerd has them), the Go
//! names of the host's Rust ones, and which manifest of an index a
//! platform means ([`select_platform`]: containerd's default matcher on the
//! same normalisation).
//!
//! One decision of ours: containerd's `Parse` accepts any OS or
//! architecture in an `os/arch` pair; here an unknown one is refused, with
//! the known ones listed, because an image for a platform nobody runs is a
//! typo.

use crate::{Descriptor, Error, HostMachine, Platform};

/// Go's operating systems, as containerd's `isKnownOS` lists them.
pub const KNOWN_OPERATING_SYSTEMS: [&str; 17] = [
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "windows",
    "zos",
];

/// Go's architectures, as containerd's `isKnownArch` lists them.
pub const KNOWN_ARCHITECTURES: [&str; 24] = [
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "ppc64",
    "ppc64le",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

/// `spec` parsed and normalised, or without one the host's own platform.
pub fn normalize_platform(spec: Option<&str>, host: &HostMachine) -> Result<Platform, Error> {
    let parsed = match spec {
        Some(spec) => parse(spec, host)?,
        None => Platform {
            architecture: host_arch(host)?.to_owned(),
            os: host_os(host)?,
            ..Platform::default()
        },
    };
    normalize(&parsed)
}

/// The first of `manifests` whose platform matches `wanted`: OS,
/// architecture and variant normalised on both sides as containerd's
/// `Normalize` does (unknown names are compared as they are), then OS and
/// architecture equal, and the variant equal when `wanted` has one after
/// normalising (`arm` always has one: `v7` by default). OS version and
/// features are not compared. Manifests without a platform are skipped;
/// when none matches, the message lists the platforms there are.
pub fn select_platform(manifests: &[Descriptor], wanted: &Platform) -> Result<Descriptor, Error> {
    wanted.check("wanted platform")?;
    let matches = matcher(wanted);
    match manifests
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(&matches))
    {
        Some(found) => Ok(found.clone()),
        None => Err(no_match(manifests, wanted)),
    }
}

/// Whether a platform is one `wanted` means, as [`select_platform`]
/// decides it: OS, architecture and variant after [`normal_form`], the
/// variant only when `wanted` has one.
pub(crate) fn matcher(wanted: &Platform) -> impl Fn(&Platform) -> bool + use<> {
    let want = normal_form(wanted);
    move |p: &Platform| {
        let p = normal_form(p);
        p.os == want.os
            && p.architecture == want.architecture
            && (want.cpu_variant.is_none() || p.cpu_variant == want.cpu_variant)
    }
}

/// Why no manifest of `manifests` is for `wanted`, listing the platforms
/// there are.
pub(crate) fn no_match(manifests: &[Descriptor], wanted: &Platform) -> Error {
    let mut there: Vec<String> = Vec::new();
    for p in manifests.iter().filter_map(|d| d.platform.as_ref()) {
        let p = format(p);
        if !there.contains(&p) {
            there.push(p);
        }
    }
    let wanted = format(wanted);
    Error::invalid(if manifests.is_empty() {
        format!("no manifest for {wanted}: the index lists no manifests")
    } else if there.is_empty() {
        format!(
            "no manifest for {wanted}: none of the index's {} manifests names a platform",
            manifests.len()
        )
    } else {
        format!(
            "no manifest for {wanted} in the index; it has {}",
            there.join(", ")
        )
    })
}

/// containerd's `Normalize` alone: OS and architecture lowercase with the
/// aliases resolved, the variant normalised (none when empty), the OS
/// version kept (none when empty), the OS features sorted and deduplicated.
/// Unknown names are kept as they are, for comparing platforms read from
/// indexes (`unknown/unknown`).
pub(crate) fn normal_form(p: &Platform) -> Platform {
    let (architecture, variant) = normalize_arch(
        &p.architecture,
        p.cpu_variant.as_deref().unwrap_or_default(),
    );
    let mut os_features = p.os_features.clone();
    os_features.sort();
    os_features.dedup();
    Platform {
        architecture,
        os: normalize_os(&p.os),
        os_version: p.os_version.clone().filter(|v| !v.is_empty()),
        os_features,
        cpu_variant: Some(variant).filter(|v| !v.is_empty()),
    }
}

/// containerd's `Normalize`, then the known-OS and known-architecture
/// checks: what `image-config` compares a platform with.
pub(crate) fn normalize(p: &Platform) -> Result<Platform, Error> {
    let normal = Platform {
        // As given: `image-config` writes the version it was asked for.
        os_version: p.os_version.clone(),
        ..normal_form(p)
    };
    if !KNOWN_OPERATING_SYSTEMS.contains(&normal.os.as_str()) {
        return Err(Error::invalid(format!(
            "unknown operating system {:?}; known ones are {}",
            normal.os,
            KNOWN_OPERATING_SYSTEMS.join(", ")
        )));
    }
    if !KNOWN_ARCHITECTURES.contains(&normal.architecture.as_str()) {
        return Err(Error::invalid(format!(
            "unknown architecture {:?}; known ones are {}",
            normal.architecture,
            KNOWN_ARCHITECTURES.join(", ")
        )));
    }
    Ok(normal)
}

/// `os/arch[/variant]`, with `(version+features)` after the OS when given
/// (containerd's `FormatAll`, without its escaping), for messages.
pub(crate) fn format(p: &Platform) -> String {
    let mut out = p.os.clone();
    let version = p.os_version.as_deref().unwrap_or_default();
    if !version.is_empty() || !p.os_features.is_empty() {
        out.push('(');
        out.push_str(version);
        for feature in &p.os_features {
            out.push('+');
            out.push_str(feature);
        }
        out.push(')');
    }
    for part in [Some(&p.architecture), p.cpu_variant.as_ref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
    {
        out.push('/');
        out.push_str(part);
    }
    out
}

/// containerd's `Parse`.
fn parse(spec: &str, host: &HostMachine) -> Result<Platform, Error> {
    if spec.contains('*') {
        return Err(Error::invalid(format!(
            "platform {spec:?}: wildcards are not supported; give <os>/<arch>[/<variant>]"
        )));
    }
    let parts: Vec<&str> = spec.splitn(4, '/').collect();
    let os_part = parse_os(parts[0]).map_err(|why| {
        Error::invalid(format!(
            "platform {spec:?}: {:?} is not an operating system: {why}",
            parts[0]
        ))
    })?;
    if let Some(bad) = parts[1..].iter().find(|p| !is_component(p)) {
        return Err(Error::invalid(format!(
            "platform {spec:?}: {bad:?} is not a platform component (letters, digits, `_`, `.` and `-`, not empty)"
        )));
    }
    let mut p = Platform {
        os: os_part.os,
        os_version: os_part.version,
        os_features: os_part.features,
        ..Platform::default()
    };
    // Architecture and variant are left as written: `normalize` resolves
    // them (containerd's `Parse` already drops `arm`'s `v7` and adds
    // `arm64`'s `v8`, which `Normalize` then undoes).
    match parts[..] {
        [single] => {
            // An OS alone takes the host's architecture; otherwise the value
            // must be an architecture, which takes the host's OS.
            if KNOWN_OPERATING_SYSTEMS.contains(&p.os.as_str()) {
                p.architecture = host_arch(host)?.to_owned();
                return Ok(p);
            }
            let (arch, _) = normalize_arch(single, "");
            if !KNOWN_ARCHITECTURES.contains(&arch.as_str()) {
                return Err(Error::invalid(format!(
                    "platform {spec:?}: unknown operating system or architecture; known operating systems are {}; known architectures are {}",
                    KNOWN_OPERATING_SYSTEMS.join(", "),
                    KNOWN_ARCHITECTURES.join(", ")
                )));
            }
            p = Platform {
                os: host_os(host)?,
                architecture: single.to_owned(),
                ..Platform::default()
            };
        }
        [_, arch] => p.architecture = arch.to_owned(),
        [_, arch, variant] => {
            p.architecture = arch.to_owned();
            p.cpu_variant = Some(variant.to_owned());
        }
        _ => {
            return Err(Error::invalid(format!(
                "platform {spec:?}: too many components; give <os>/<arch>[/<variant>]"
            )));
        }
    }
    Ok(p)
}

/// The OS component of a specifier, its options decoded.
struct OsPart {
    os: String,
    version: Option<String>,
    features: Vec<String>,
}

/// `^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$`
/// (containerd's `osRe`), the OS normalised and the options percent-decoded.
fn parse_os(part: &str) -> Result<OsPart, String> {
    let name_len = part
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        .count();
    let (name, rest) = part.split_at(name_len);
    if name.is_empty() {
        return Err("it must start with letters, digits, `_` or `-`".to_owned());
    }
    let mut out = OsPart {
        os: normalize_os(name),
        version: None,
        features: Vec::new(),
    };
    if rest.is_empty() {
        return Ok(out);
    }
    let options = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or("options go in parentheses after the name, as in windows(10.0.17763+win32k)")?;
    let is_option_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '%' | '-');
    let mut pieces = options.split('+');
    let version = pieces.next().unwrap_or_default();
    if !version.chars().all(is_option_char) {
        return Err(format!(
            "OS version {version:?} has a character outside letters, digits, `_`, `.`, `%` and `-`"
        ));
    }
    let version = percent_decode(version)?;
    out.version = Some(version).filter(|v| !v.is_empty());
    for feature in pieces {
        if feature.is_empty() || !feature.chars().all(is_option_char) {
            return Err(format!(
                "OS feature {feature:?} is empty or has a character outside letters, digits, `_`, `.`, `%` and `-`"
            ));
        }
        let feature = percent_decode(feature)?;
        if !feature.is_empty() {
            out.features.push(feature);
        }
    }
    Ok(out)
}

/// Go's `url.PathUnescape`: `%XX` is a byte; the result must be UTF-8.
fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("invalid escape in {s:?} (a `%` takes two hex digits)"))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{s:?} decodes to bytes that are not UTF-8"))
}

/// containerd's `specifierRe`: `^[A-Za-z0-9_.-]+$`.
fn is_component(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// containerd's `normalizeOS` (a specifier never has an empty OS).
fn normalize_os(os: &str) -> String {
    match os.to_lowercase().as_str() {
        "macos" => "darwin".to_owned(),
        other => other.to_owned(),
    }
}

/// containerd's `normalizeArch`: the architecture and variant, lowercase
/// and with the aliases resolved.
fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let (arch, variant) = (arch.to_lowercase(), variant.to_lowercase());
    match arch.as_str() {
        "i386" | "x86" => ("386".into(), String::new()),
        "x86_64" | "x86-64" | "amd64" => {
            let variant = if variant == "v1" {
                String::new()
            } else {
                variant
            };
            ("amd64".into(), variant)
        }
        "aarch64" | "arm64" => {
            let variant = match variant.as_str() {
                "8" | "v8" | "v8.0" => String::new(),
                "9" | "9.0" | "v9.0" => "v9".into(),
                _ => variant,
            };
            ("arm64".into(), variant)
        }
        "armhf" => ("arm".into(), "v7".into()),
        "armel" => ("arm".into(), "v6".into()),
        "arm" => {
            let variant = match variant.as_str() {
                "" | "7" => "v7".into(),
                "5" | "6" | "8" => format!("v{variant}"),
                _ => variant,
            };
            ("arm".into(), variant)
        }
        _ => (arch, variant),
    }
}

/// The Go name of the host's OS (`std::env::consts::OS`): Rust's names are
/// Go's but for `macos`.
fn host_os(host: &HostMachine) -> Result<String, Error> {
    let os = normalize_os(&host.os);
    if KNOWN_OPERATING_SYSTEMS.contains(&os.as_str()) {
        Ok(os)
    } else {
        Err(Error::invalid(format!(
            "the host's operating system {:?} has no Go name; give a platform (known operating systems are {})",
            host.os,
            KNOWN_OPERATING_SYSTEMS.join(", ")
        )))
    }
}

/// The Go name of the host's architecture (`std::env::consts::ARCH`, and
/// the byte order where Go names the two orders apart).
fn host_arch(host: &HostMachine) -> Result<&'static str, Error> {
    let little = host.little_endian;
    let arch = match host.arch.as_str() {
        "x86" => "386",
        "x86_64" => "amd64",
        "arm" if little => "arm",
        "arm" => "armbe",
        "aarch64" if little => "arm64",
        "aarch64" => "arm64be",
        "loongarch64" => "loong64",
        "mips" if little => "mipsle",
        "mips" => "mips",
        "mips64" if little => "mips64le",
        "mips64" => "mips64",
        "powerpc" if !little => "ppc",
        "powerpc64" if little => "ppc64le",
        "powerpc64" => "ppc64",
        "riscv32" => "riscv",
        "riscv64" => "riscv64",
        "s390x" => "s390x",
        "sparc" => "sparc",
        "sparc64" => "sparc64",
        "wasm32" => "wasm",
        _ => {
            return Err(Error::invalid(format!(
                "the host's architecture {:?} ({}-endian) has no Go name; give a platform (known architectures are {})",
                host.arch,
                if little { "little" } else { "big" },
                KNOWN_ARCHITECTURES.join(", ")
            )));
        }
    };
    Ok(arch)
}
