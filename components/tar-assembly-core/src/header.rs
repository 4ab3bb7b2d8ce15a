//! Tar headers, byte for byte as Go's `archive/tar` `Writer` writes them.
//!
//! - **ustar** when every field fits: magic `ustar\0`, version `00`; a name
//!   longer than 100 bytes is split at a `/` into prefix (≤ 155) and name
//!   (≤ 100) when it is ASCII and such a split exists.
//! - **PAX** otherwise: an extended header entry (typeflag `x`) whose records
//!   carry what does not fit, followed by the main ustar-magic header whose
//!   fields hold a best effort (non-ASCII dropped, truncated; a number that
//!   does not fit written as 0). PAX records are added for:
//!   `path` (non-ASCII, or longer than 100 bytes and not splittable),
//!   `linkpath` (non-ASCII or longer than 100 bytes), `size` (≥ 8 GiB),
//!   `uid`/`gid` (> 0o7777777), `mtime` (negative or ≥ 8^11 s) and
//!   `SCHILY.xattr.<name>` for every extended attribute. When PAX is used
//!   for any reason, a name that is non-ASCII or longer than 100 bytes goes
//!   in a `path` record even if it could be split (as Go does).
//! - Records are `"<len> <key>=<value>\n"`, `<len>` counting the whole record
//!   including itself, sorted by key (bytewise).
//! - The extended header entry is named like Go names it:
//!   `path.Join(dir, "PaxHeaders.0", file)` of the entry's name (a directory
//!   `a/b/` gives `a/b/PaxHeaders.0`, a file `a/b/c` gives
//!   `a/b/PaxHeaders.0/c`, a top-level `c` gives `PaxHeaders.0/c`), non-ASCII
//!   characters dropped, cut to 100 bytes, trailing `/` removed. Its mode,
//!   uid, gid and mtime are 0 (Go's `writeRawFile`). GNU tar's default
//!   `%d/PaxHeaders.%p/%f` has the process id in it, so it is not
//!   reproducible; Go's constant `0` is.
//! - Numeric fields are octal, zero-padded and NUL-terminated (`0000644\0`,
//!   11 digits + NUL for size and mtime); devmajor/devminor are written for
//!   every entry (0 for non-devices); uname/gname are empty. The checksum is
//!   6 octal digits, NUL, space, over the block with the checksum field as
//!   spaces.

use crate::Error;

/// The tar block size.
pub const BLOCK: usize = 512;
/// Size of the ustar name and linkname fields.
pub const NAME_SIZE: usize = 100;
/// Size of the ustar prefix field.
pub const PREFIX_SIZE: usize = 155;
/// The largest PAX extended header Go's `archive/tar` reads
/// (`maxSpecialFileSize`).
pub const MAX_PAX_SIZE: usize = 1 << 20;

/// Typeflags.
pub const TYPE_REG: u8 = b'0';
pub const TYPE_LINK: u8 = b'1';
pub const TYPE_SYMLINK: u8 = b'2';
pub const TYPE_CHAR: u8 = b'3';
pub const TYPE_BLOCK: u8 = b'4';
pub const TYPE_DIR: u8 = b'5';
pub const TYPE_FIFO: u8 = b'6';
pub const TYPE_PAX: u8 = b'x';

/// What a header says about one entry.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    /// The full name; directories end with `/`.
    pub name: &'a str,
    pub typeflag: u8,
    /// Permission bits (the caller masks them).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// The data size that follows the header (0 for non-regular entries).
    pub size: u64,
    /// Seconds since the Unix epoch.
    pub mtime: i64,
    /// Link target of a symlink or hard link; empty otherwise.
    pub linkname: &'a str,
    pub devmajor: u32,
    pub devminor: u32,
    /// Extended attributes: name (no `=`, no NUL) and value.
    pub xattrs: &'a [(String, Vec<u8>)],
}

impl<'a> Header<'a> {
    /// A regular file or directory entry of an image archive: mode 0644
    /// (files) or 0755 (directories), owner 0:0, mtime 0.
    pub fn archive(name: &'a str, typeflag: u8, size: u64) -> Self {
        Header {
            name,
            typeflag,
            mode: if typeflag == TYPE_DIR { 0o755 } else { 0o644 },
            uid: 0,
            gid: 0,
            size,
            mtime: 0,
            linkname: "",
            devmajor: 0,
            devminor: 0,
            xattrs: &[],
        }
    }
}

/// Zero bytes that follow `size` bytes of data up to the next block.
pub fn padding(size: u64) -> u64 {
    let block = BLOCK as u64;
    (block - size % block) % block
}

/// Whether `x` fits in a `width`-byte octal field with its NUL terminator
/// (Go `fitsInOctal`).
pub fn fits_in_octal(width: usize, x: i128) -> bool {
    let bits = (width as u32 - 1) * 3;
    x >= 0 && x < 1i128 << bits
}

/// The header block(s) of an entry: a PAX extended header and its records
/// when needed, then the main header.
pub fn encode(h: &Header<'_>) -> Result<Vec<u8>, Error> {
    let mut pax: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut ustar = true;

    if !h.name.is_ascii() || h.name.len() > NAME_SIZE {
        pax.push((b"path".to_vec(), h.name.as_bytes().to_vec()));
        if split_ustar_path(h.name).is_none() {
            ustar = false;
        }
    }
    if !h.linkname.is_ascii() || h.linkname.len() > NAME_SIZE {
        pax.push((b"linkpath".to_vec(), h.linkname.as_bytes().to_vec()));
        ustar = false;
    }
    let numeric: [(&[u8], usize, i128); 4] = [
        (b"uid", 8, h.uid.into()),
        (b"gid", 8, h.gid.into()),
        (b"size", 12, h.size.into()),
        (b"mtime", 12, h.mtime.into()),
    ];
    for (key, width, value) in numeric {
        if !fits_in_octal(width, value) {
            pax.push((key.to_vec(), value.to_string().into_bytes()));
            ustar = false;
        }
    }
    for (name, value) in h.xattrs {
        let mut key = b"SCHILY.xattr.".to_vec();
        key.extend_from_slice(name.as_bytes());
        pax.push((key, value.clone()));
        ustar = false;
    }
    for (field, value) in [("devmajor", h.devmajor), ("devminor", h.devminor)] {
        if !fits_in_octal(8, value.into()) {
            return Err(Error::Unsupported(format!(
                "entry {:?}: {field} {value} does not fit in a tar header (at most 2097151)",
                h.name
            )));
        }
    }

    if ustar {
        let mut block = [0u8; BLOCK];
        let (prefix, name) = match split_ustar_path(h.name) {
            Some((prefix, name)) => (prefix, name),
            None => ("", h.name),
        };
        fill_main(&mut block, h, name.as_bytes(), h.linkname.as_bytes());
        format_string(&mut block[345..500], prefix.as_bytes());
        set_magic_and_checksum(&mut block);
        return Ok(block.to_vec());
    }

    pax.sort_by(|a, b| a.0.cmp(&b.0));
    let mut data = Vec::new();
    for (key, value) in &pax {
        pax_record(&mut data, key, value);
    }
    if data.len() > MAX_PAX_SIZE {
        return Err(Error::TooLarge(format!(
            "entry {:?}: its PAX extended header would be {} bytes, more than the {} tar readers accept (long xattrs?)",
            h.name,
            data.len(),
            MAX_PAX_SIZE
        )));
    }

    let mut out = Vec::with_capacity(3 * BLOCK + data.len());
    let mut ext = [0u8; BLOCK];
    let ext_name = pax_header_name(h.name);
    format_string(&mut ext[0..100], ext_name.as_bytes());
    format_octal(&mut ext[100..108], 0);
    format_octal(&mut ext[108..116], 0);
    format_octal(&mut ext[116..124], 0);
    format_octal(&mut ext[124..136], data.len() as i128);
    format_octal(&mut ext[136..148], 0);
    ext[156] = TYPE_PAX;
    set_magic_and_checksum(&mut ext);
    out.extend_from_slice(&ext);
    out.extend_from_slice(&data);
    out.resize(out.len() + padding(data.len() as u64) as usize, 0);

    let mut block = [0u8; BLOCK];
    let name = to_ascii(h.name);
    let linkname = to_ascii(h.linkname);
    fill_main(&mut block, h, name.as_bytes(), linkname.as_bytes());
    set_magic_and_checksum(&mut block);
    out.extend_from_slice(&block);
    Ok(out)
}

/// The fields Go's `templateV7Plus` fills, the name and linkname given.
fn fill_main(block: &mut [u8; BLOCK], h: &Header<'_>, name: &[u8], linkname: &[u8]) {
    format_string(&mut block[0..100], name);
    format_octal(&mut block[100..108], h.mode.into());
    format_octal(&mut block[108..116], h.uid.into());
    format_octal(&mut block[116..124], h.gid.into());
    format_octal(&mut block[124..136], h.size.into());
    format_octal(&mut block[136..148], h.mtime.into());
    block[156] = h.typeflag;
    format_string(&mut block[157..257], linkname);
    format_string(&mut block[265..297], b""); // uname
    format_string(&mut block[297..329], b""); // gname
    format_octal(&mut block[329..337], h.devmajor.into());
    format_octal(&mut block[337..345], h.devminor.into());
}

/// Magic `ustar\0`, version `00`, then the checksum.
fn set_magic_and_checksum(block: &mut [u8; BLOCK]) {
    block[257..263].copy_from_slice(b"ustar\0");
    block[263..265].copy_from_slice(b"00");
    let sum: u32 = block
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if (148..156).contains(&i) {
                u32::from(b' ')
            } else {
                u32::from(c)
            }
        })
        .sum();
    format_octal(&mut block[148..155], sum.into());
    block[155] = b' ';
}

/// Go `formatString`: copies `s` into `b`, NUL-terminated when it is
/// shorter; a truncated value never ends in `/` there.
fn format_string(b: &mut [u8], s: &[u8]) {
    let n = s.len().min(b.len());
    b[..n].copy_from_slice(&s[..n]);
    if s.len() < b.len() {
        b[s.len()] = 0;
    }
    if s.len() > b.len() && b[b.len() - 1] == b'/' {
        let mut k = b.len() - 1;
        while k > 0 && s[k - 1] == b'/' {
            k -= 1;
        }
        b[k] = 0;
    }
}

/// Go `formatOctal`: zero-padded octal, NUL-terminated; 0 when it does
/// not fit (a PAX record then carries the value).
fn format_octal(b: &mut [u8], x: i128) {
    let x = if fits_in_octal(b.len(), x) { x } else { 0 };
    let digits = format!("{x:0width$o}", width = b.len() - 1);
    format_string(b, digits.as_bytes());
}

/// Go `splitUSTARPath`: `(prefix, name)` when an ASCII name longer than 100
/// bytes can be split at a `/` into prefix ≤ 155 and name ≤ 100 bytes.
pub fn split_ustar_path(name: &str) -> Option<(&str, &str)> {
    let mut length = name.len();
    if length <= NAME_SIZE || !name.is_ascii() {
        return None;
    } else if length > PREFIX_SIZE + 1 {
        length = PREFIX_SIZE + 1;
    } else if name.as_bytes()[length - 1] == b'/' {
        length -= 1;
    }
    let i = name[..length].rfind('/')?;
    let suffix = name.len() - i - 1;
    if i == 0 || suffix > NAME_SIZE || suffix == 0 || i > PREFIX_SIZE {
        return None;
    }
    Some((&name[..i], &name[i + 1..]))
}

/// Go `toASCII`: drops every non-ASCII character (and NUL).
fn to_ascii(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii() && *c != '\0').collect()
}

/// The name of the PAX extended header entry for `name` (see the module
/// documentation).
pub fn pax_header_name(name: &str) -> String {
    let (dir, file) = match name.rfind('/') {
        Some(i) => (&name[..i], &name[i + 1..]),
        None => ("", name),
    };
    let joined = match (dir.is_empty(), file.is_empty()) {
        (true, _) => format!("PaxHeaders.0/{file}"),
        (false, true) => format!("{dir}/PaxHeaders.0"),
        (false, false) => format!("{dir}/PaxHeaders.0/{file}"),
    };
    let mut ascii = to_ascii(&joined);
    ascii.truncate(NAME_SIZE);
    ascii.trim_end_matches('/').to_owned()
}

/// Appends one PAX record, `"<len> <key>=<value>\n"` (Go `formatPAXRecord`).
fn pax_record(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    let base = key.len() + value.len() + 3;
    let mut size = base + digits(base);
    if base + digits(size) != size {
        size = base + digits(size);
    }
    out.extend_from_slice(size.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key);
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

fn digits(n: usize) -> usize {
    n.to_string().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_lengths_include_themselves() {
        let mut out = Vec::new();
        pax_record(&mut out, b"path", b"a");
        assert_eq!(out, b"9 path=a\n");
        let mut out = Vec::new();
        pax_record(&mut out, b"k", b"vvvvv");
        assert_eq!(out, b"11 k=vvvvv\n");
        // 1 + 93 + 3 = 97 bytes without the length: 99 with two digits.
        let mut out = Vec::new();
        pax_record(&mut out, b"k", &[b'v'; 93]);
        assert_eq!(out.len(), 99);
        assert!(out.starts_with(b"99 k="));
        // 98 bytes without the length: two digits would make 100, which
        // needs three, so the record is 101 bytes long.
        let mut out = Vec::new();
        pax_record(&mut out, b"k", &[b'v'; 94]);
        assert_eq!(out.len(), 101);
        assert!(out.starts_with(b"101 k="));
    }

    #[test]
    fn ustar_split_follows_go() {
        let long = format!("{}/{}", "d".repeat(60), "f".repeat(60));
        assert_eq!(split_ustar_path(&long), Some((&long[..60], &long[61..])));
        // A directory's trailing slash is not a split point.
        let dir = format!("{}/{}/", "d".repeat(60), "e".repeat(60));
        assert_eq!(split_ustar_path(&dir), Some((&dir[..60], &dir[61..])));
        // Short names are not split; unsplittable ones are not either.
        assert_eq!(split_ustar_path("a/b"), None);
        assert_eq!(split_ustar_path(&"x".repeat(101)), None);
        assert_eq!(split_ustar_path(&format!("a/{}", "x".repeat(101))), None);
        assert_eq!(split_ustar_path(&format!("{}/x", "p".repeat(156))), None);
        assert_eq!(split_ustar_path(&format!("é/{}", "x".repeat(100))), None);
    }

    #[test]
    fn pax_header_names_like_go() {
        assert_eq!(pax_header_name("a/b/c"), "a/b/PaxHeaders.0/c");
        assert_eq!(pax_header_name("a/b/"), "a/b/PaxHeaders.0");
        assert_eq!(pax_header_name("c"), "PaxHeaders.0/c");
        assert_eq!(pax_header_name("é/ü"), "/PaxHeaders.0");
        let long = format!("{}/{}", "d".repeat(90), "f".repeat(90));
        assert_eq!(
            pax_header_name(&long),
            format!("{}/PaxHeader", "d".repeat(90))
        );
    }

    #[test]
    fn octal_fields_and_checksum() {
        let h = Header::archive("f", TYPE_REG, 5);
        let b = encode(&h).unwrap();
        assert_eq!(b.len(), BLOCK);
        assert_eq!(&b[100..108], b"0000644\0");
        assert_eq!(&b[108..116], b"0000000\0");
        assert_eq!(&b[124..136], b"00000000005\0");
        assert_eq!(&b[136..148], b"00000000000\0");
        assert_eq!(&b[257..265], b"ustar\x0000");
        assert_eq!(&b[329..345], b"0000000\x000000000\0");
        assert_eq!(b[154], 0);
        assert_eq!(b[155], b' ');
        let sum: u32 = b
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u32::from(c)
                }
            })
            .sum();
        let field = std::str::from_utf8(&b[148..154]).unwrap();
        assert_eq!(u32::from_str_radix(field, 8).unwrap(), sum);
    }

    #[test]
    fn truncated_name_field_never_ends_in_slash() {
        let mut b = [0u8; 10];
        format_string(&mut b, b"abcdefghi//xyz");
        assert_eq!(&b, b"abcdefghi\0");
    }
}
