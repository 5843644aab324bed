//! Dates and times as files carry them: EXIF "YYYY:MM:DD HH:MM:SS", XMP/ISO 8601 with optional offset, file
//! names such as IMG_20210723_201314, and the order in which photosd trusts them.

use time::{Date, Month, PrimitiveDateTime, Time};

/// When the photo was taken, as the camera's clock showed it, with the UTC offset when the file tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    pub local: time::PrimitiveDateTime,
    pub offset_minutes: Option<i32>,
}

impl Taken {
    /// `YYYY-MM-DDTHH:MM:SS`, plus `±HH:MM` when the offset is known.
    pub fn to_iso(self) -> String {
        let l = self.local;
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            l.year(),
            l.month() as u8,
            l.day(),
            l.hour(),
            l.minute(),
            l.second()
        );
        if let Some(m) = self.offset_minutes {
            let sign = if m < 0 { '-' } else { '+' };
            s.push_str(&format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60));
        }
        s
    }

    pub fn from_iso(s: &str) -> Option<Taken> {
        let local = parse_datetime(s.get(..19)?)?;
        let rest = &s[19..];
        let offset_minutes = if rest.is_empty() { None } else { Some(parse_offset(rest)?) };
        Some(Taken { local, offset_minutes })
    }

    /// Seconds since the epoch of the local time read as if it were UTC: what the timeline sorts and groups by,
    /// so a photo taken at 9:00 in Tokyo shows at 9:00, as in Synology Photos.
    pub fn local_timestamp(&self) -> i64 {
        self.local.assume_utc().unix_timestamp()
    }
}

pub(super) mod taken_iso {
    use super::Taken;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<Taken>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&t.to_iso()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Taken>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        match s {
            None => Ok(None),
            Some(s) => Taken::from_iso(&s).map(Some).ok_or_else(|| serde::de::Error::custom(format!("bad time {s}"))),
        }
    }
}

/// Parses "YYYY:MM:DD HH:MM:SS" or "YYYY-MM-DDTHH:MM[:SS]", by position, so a following offset ("-04:00")
/// is never taken for seconds. Zeroed or impossible dates ("0000:00:00 00:00:00") give None.
pub fn parse_datetime(s: &str) -> Option<PrimitiveDateTime> {
    let s = s.trim().trim_end_matches('\0').as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(range)?;
        part.iter().all(u8::is_ascii_digit).then(|| std::str::from_utf8(part).ok()?.parse().ok())?
    };
    let year = num(0..4)?;
    if !(1800..=9999).contains(&year) {
        return None;
    }
    let (month, day, hour, minute) = (num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?);
    let second = if s.get(16) == Some(&b':') { num(17..19)? } else { 0 };
    let date = Date::from_calendar_date(year as i32, Month::try_from(month as u8).ok()?, day as u8).ok()?;
    let time = Time::from_hms(hour as u8, minute as u8, second.min(59) as u8).ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

/// Parses a UTC offset: "+02:00", "-0530", "Z". Returns minutes east of UTC.
pub fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim().trim_end_matches('\0');
    if s == "Z" {
        return Some(0);
    }
    let sign = match s.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let digits: String = s[1..].chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() != 4 {
        return None;
    }
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 60 + minutes))
}

/// An ISO 8601 / XMP date: "2021-07-23T20:13:14+02:00", "2021-07-23T20:13:14.25Z", "2021:07:23 20:13:14".
pub fn parse_iso(s: &str) -> Option<Taken> {
    let s = s.trim();
    let local = parse_datetime(s)?;
    let time_len = if s.as_bytes().get(16) == Some(&b':') { 19 } else { 16 };
    let mut rest = s.get(time_len..).unwrap_or("");
    if let Some(frac) = rest.strip_prefix('.') {
        rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    Some(Taken { local, offset_minutes: parse_offset(rest) })
}

/// Dates in file names, as phones and messengers write them: IMG_20210723_201314, PXL_20210723_201314123,
/// VID-20210723-WA0001 (date only), Screenshot_2021-07-23-20-13-14, 2021-07-23 20.13.14.
pub fn from_file_name(name: &str) -> Option<PrimitiveDateTime> {
    use std::sync::OnceLock;
    static FULL: OnceLock<regex_lite::Regex> = OnceLock::new();
    static DATE: OnceLock<regex_lite::Regex> = OnceLock::new();
    let full = FULL.get_or_init(|| {
        regex_lite::Regex::new(r"(?:^|[^0-9])((?:19|20)\d{2})[-_.]?(\d{2})[-_.]?(\d{2})[-_. T]?(\d{2})[-_.:h]?(\d{2})[-_.:m]?(\d{2})(?:[^0-9]|\d{1,3}(?:[^0-9]|$)|$)").unwrap()
    });
    let date_only = DATE.get_or_init(|| {
        regex_lite::Regex::new(r"(?:^|[^0-9])((?:19|20)\d{2})[-_]?(\d{2})[-_]?(\d{2})(?:[^0-9]|$)").unwrap()
    });
    let num = |c: &regex_lite::Captures, i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    if let Some(c) = full.captures(name) {
        let s = format!(
            "{:04}:{:02}:{:02} {:02}:{:02}:{:02}",
            num(&c, 1)?,
            num(&c, 2)?,
            num(&c, 3)?,
            num(&c, 4)?,
            num(&c, 5)?,
            num(&c, 6)?
        );
        if let Some(t) = parse_datetime(&s) {
            return Some(t);
        }
    }
    let c = date_only.captures(name)?;
    parse_datetime(&format!("{:04}:{:02}:{:02} 00:00:00", num(&c, 1)?, num(&c, 2)?, num(&c, 3)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_and_iso_dates() {
        assert_eq!(parse_iso("2021:07:23 20:13:14").unwrap().to_iso(), "2021-07-23T20:13:14");
        assert_eq!(parse_iso("2021-07-23T20:13:14.250+02:00").unwrap().to_iso(), "2021-07-23T20:13:14+02:00");
        assert_eq!(parse_iso("2021-07-23T20:13:14Z").unwrap().to_iso(), "2021-07-23T20:13:14+00:00");
        assert!(parse_datetime("0000:00:00 00:00:00").is_none());
        assert!(parse_datetime("    :  :     :  :  ").is_none());
        assert_eq!(parse_offset("-05:30"), Some(-330));
        assert_eq!(parse_iso("2012:06:29 09:29-04:00").unwrap().to_iso(), "2012-06-29T09:29:00-04:00");
    }

    #[test]
    fn file_name_patterns() {
        let iso = |n: &str| from_file_name(n).map(|t| Taken { local: t, offset_minutes: None }.to_iso());
        assert_eq!(iso("IMG_20210723_201314.jpg").as_deref(), Some("2021-07-23T20:13:14"));
        assert_eq!(iso("PXL_20210723_201314123.jpg").as_deref(), Some("2021-07-23T20:13:14"));
        assert_eq!(iso("Screenshot_2021-07-23-20-13-14.png").as_deref(), Some("2021-07-23T20:13:14"));
        assert_eq!(iso("VID-20210723-WA0001.mp4").as_deref(), Some("2021-07-23T00:00:00"));
        assert_eq!(iso("2021-07-23 20.13.14.jpg").as_deref(), Some("2021-07-23T20:13:14"));
        assert_eq!(iso("DSC01234.JPG"), None);
    }
}
