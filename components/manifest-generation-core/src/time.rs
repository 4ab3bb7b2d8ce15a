//! Times: seconds since the epoch from the host (`SOURCE_DATE_EPOCH`) and
//! RFC 3339 strings from a base config, compared (SOURCE_DATE_EPOCH
//! clamping) and written as Go's `time.Time` `MarshalJSON` writes them
//! (`RFC3339Nano`: fraction without trailing zeros, `Z` for a zero offset,
//! the original offset otherwise; years 0 to 9999 only, as Go refuses
//! others).

use crate::Error;
use std::cmp::Ordering;
use std::fmt;

/// An instant with the UTC offset it was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Time {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    nanos: u32,
    /// Offset from UTC in minutes.
    offset_minutes: i16,
}

impl Time {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (RFC 3339 section
    /// 5.6; `t`/`z` accepted, a fraction beyond nanoseconds truncated, a
    /// leap second refused as Go refuses it).
    pub(crate) fn parse(what: &str, s: &str) -> Result<Time, Error> {
        parse(s).ok_or_else(|| {
            Error::invalid(format!(
                "{what}: {s:?} is not an RFC 3339 time (e.g. 2024-01-02T03:04:05Z)"
            ))
        })
    }

    /// The instant `seconds` after the Unix epoch, in UTC; `what` names the
    /// value in the error for a year Go cannot write (before 0 or after
    /// 9999).
    pub(crate) fn from_unix_seconds(what: &str, seconds: i64) -> Result<Time, Error> {
        let days = seconds.div_euclid(86_400);
        let secs = seconds.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let year = u16::try_from(year).ok().filter(|y| *y <= 9999).ok_or_else(|| {
            Error::invalid(format!(
                "{what}: {seconds} seconds since the epoch falls in the year {year}; an image config can only state years 0 to 9999"
            ))
        })?;
        // In range by construction: month 1..=12, day 1..=31, secs < 86400.
        Ok(Time {
            year,
            month: month as u8,
            day: day as u8,
            hour: (secs / 3600) as u8,
            minute: (secs / 60 % 60) as u8,
            second: (secs % 60) as u8,
            nanos: 0,
            offset_minutes: 0,
        })
    }

    /// Seconds since the Unix epoch and nanoseconds: the instant, for
    /// comparisons across offsets.
    fn instant(&self) -> (i64, u32) {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
            - i64::from(self.offset_minutes) * 60;
        (secs, self.nanos)
    }

    /// Go's `t.After(u)`.
    pub(crate) fn after(&self, other: &Time) -> bool {
        self.instant().cmp(&other.instant()) == Ordering::Greater
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        if self.offset_minutes == 0 {
            f.write_str("Z")
        } else {
            let sign = if self.offset_minutes < 0 { '-' } else { '+' };
            let m = self.offset_minutes.unsigned_abs();
            write!(f, "{sign}{:02}:{:02}", m / 60, m % 60)
        }
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

fn parse(s: &str) -> Option<Time> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])? as u16;
    let month = digits(&b[5..7])? as u8;
    let day = digits(&b[8..10])? as u8;
    let hour = digits(&b[11..13])? as u8;
    let minute = digits(&b[14..16])? as u8;
    let second = digits(&b[17..19])? as u8;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let frac = &rest[1..1 + n];
        let kept = &frac[..n.min(9)];
        nanos = digits(kept)? * 10u32.pow(9 - kept.len() as u32);
        rest = &rest[1 + n..];
    }
    let offset_minutes = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 23 || m > 59 {
                return None;
            }
            let total = (h * 60 + m) as i16;
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    Some(Time {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanos,
        offset_minutes,
    })
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H.
/// Hinnant's `civil_from_days`, the inverse of [`days_from_civil`]).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Time {
        Time::parse("t", s).unwrap()
    }

    #[test]
    fn formats_like_go_rfc3339nano() {
        for (input, go) in [
            ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
            ("2024-01-02t03:04:05z", "2024-01-02T03:04:05Z"),
            ("2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z"),
            ("2024-01-02T03:04:05-00:00", "2024-01-02T03:04:05Z"),
            ("2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05Z"),
            ("2024-01-02T03:04:05.120Z", "2024-01-02T03:04:05.12Z"),
            (
                "2024-01-02T03:04:05.123456789123Z",
                "2024-01-02T03:04:05.123456789Z",
            ),
            ("2024-01-02T03:04:05+05:30", "2024-01-02T03:04:05+05:30"),
            ("2024-02-29T23:59:59-08:00", "2024-02-29T23:59:59-08:00"),
        ] {
            assert_eq!(t(input).to_string(), go, "{input}");
        }
    }

    fn unix(seconds: i64) -> String {
        Time::from_unix_seconds("created", seconds)
            .unwrap()
            .to_string()
    }

    #[test]
    fn seconds_since_the_epoch_are_written_in_utc() {
        assert_eq!(unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(unix(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(unix(1_704_067_200), "2024-01-01T00:00:00Z");
        assert_eq!(unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(unix(-1), "1969-12-31T23:59:59Z");
        assert_eq!(unix(-86_400), "1969-12-31T00:00:00Z");
        assert_eq!(unix(-62_167_219_200), "0000-01-01T00:00:00Z");
        assert_eq!(unix(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn seconds_round_trip_through_the_parser() {
        for seconds in [
            -62_167_219_200,
            -1,
            0,
            59,
            86_399,
            1_700_000_000,
            253_402_300_799,
        ] {
            let written = unix(seconds);
            assert_eq!(t(&written).instant(), (seconds, 0), "{written}");
        }
    }

    #[test]
    fn years_go_cannot_write_are_refused() {
        for seconds in [-62_167_219_201, 253_402_300_800, i64::MIN, i64::MAX] {
            let err = Time::from_unix_seconds("created", seconds).unwrap_err();
            let m = err.to_string();
            assert!(m.starts_with("created: ") && m.contains("0 to 9999"), "{m}");
        }
    }

    #[test]
    fn refuses_what_is_not_rfc3339() {
        for bad in [
            "",
            "2024-01-02",
            "2024-01-02 03:04:05Z",
            "2024-01-02T03:04:05",
            "2024-01-02T03:04:05.Z",
            "2024-13-02T03:04:05Z",
            "2023-02-29T03:04:05Z",
            "2024-01-32T03:04:05Z",
            "2024-01-02T24:04:05Z",
            "2024-01-02T03:60:05Z",
            "2024-01-02T03:04:60Z",
            "2024-01-02T03:04:05+0100",
            "2024-01-02T03:04:05+24:00",
            "1700000000",
            "+024-01-02T03:04:05Z",
        ] {
            let err = Time::parse("created", bad).unwrap_err();
            assert!(err.to_string().starts_with("created: "), "{err}");
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn compares_instants_across_offsets() {
        assert!(t("2024-01-02T03:04:06Z").after(&t("2024-01-02T03:04:05Z")));
        assert!(!t("2024-01-02T03:04:05Z").after(&t("2024-01-02T03:04:05Z")));
        assert!(t("2024-01-02T03:04:05.000000001Z").after(&t("2024-01-02T03:04:05Z")));
        // 03:04:05+01:00 is 02:04:05Z.
        assert!(t("2024-01-02T02:30:00Z").after(&t("2024-01-02T03:04:05+01:00")));
        assert!(t("2000-03-01T00:00:00Z").after(&t("2000-02-29T23:59:59Z")));
        assert_eq!(t("1970-01-01T00:00:00Z").instant(), (0, 0));
        assert_eq!(t("2023-11-14T22:13:20Z").instant(), (1_700_000_000, 0));
    }
}
