//! IPTC-IIM records, as carried in a Photoshop APP13 block or a TIFF IPTC tag: keywords (2:25), caption (2:120)
//! and date created (2:55 + 2:60). No maintained crate reads IIM, and the format is a flat list of
//! `0x1C record dataset length value` entries, so it is read here, with every length checked.

use super::reading::Taken;
use super::taken::{parse_datetime, parse_offset};

#[derive(Debug, Default, Clone, PartialEq)]
pub struct IptcFields {
    pub keywords: Vec<String>,
    pub caption: Option<String>,
    pub date_created: Option<Taken>,
}

pub fn parse(data: &[u8]) -> IptcFields {
    let mut out = IptcFields::default();
    let (mut date, mut time, mut utf8) = (None, None, false);
    let mut raw_texts: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut i = 0;
    while i + 5 <= data.len() {
        if data[i] != 0x1C {
            i += 1;
            continue;
        }
        let (record, dataset) = (data[i + 1], data[i + 2]);
        let len = u16::from_be_bytes([data[i + 3], data[i + 4]]) as usize;
        if len & 0x8000 != 0 {
            break; // extended lengths are only used for huge binary datasets, never for the text we want
        }
        let Some(value) = data.get(i + 5..i + 5 + len) else { break };
        match (record, dataset) {
            (1, 90) => utf8 = value.windows(3).any(|w| w == b"\x1b%G"),
            (2, 25) | (2, 120) => raw_texts.push((dataset, value.to_vec())),
            (2, 55) => date = Some(String::from_utf8_lossy(value).to_string()),
            (2, 60) => time = Some(String::from_utf8_lossy(value).to_string()),
            _ => {}
        }
        i += 5 + len;
    }
    for (dataset, value) in raw_texts {
        let text = decode_text(&value, utf8);
        let text = text.trim().to_string();
        if text.is_empty() {
            continue;
        }
        if dataset == 25 {
            out.keywords.push(text);
        } else {
            out.caption = Some(text);
        }
    }
    if let Some(d) = date.filter(|d| d.len() >= 8 && d.is_ascii()) {
        let t = time.filter(|t| t.is_ascii()).unwrap_or_default();
        let hms = if t.len() >= 6 { format!("{}:{}:{}", &t[0..2], &t[2..4], &t[4..6]) } else { "00:00:00".into() };
        let local = parse_datetime(&format!("{}:{}:{} {hms}", &d[0..4], &d[4..6], &d[6..8]));
        let offset = t.get(6..).and_then(parse_offset);
        out.date_created = local.map(|local| Taken { local, offset_minutes: offset });
    }
    out
}

/// IIM text is UTF-8 when 1:90 says so, and in practice often UTF-8 anyway; otherwise Latin-1.
fn decode_text(value: &[u8], declared_utf8: bool) -> String {
    match std::str::from_utf8(value) {
        Ok(s) => s.to_string(),
        Err(_) if declared_utf8 => String::from_utf8_lossy(value).to_string(),
        Err(_) => value.iter().map(|&b| b as char).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset(record: u8, id: u8, value: &[u8]) -> Vec<u8> {
        let mut v = vec![0x1C, record, id];
        v.extend_from_slice(&(value.len() as u16).to_be_bytes());
        v.extend_from_slice(value);
        v
    }

    #[test]
    fn keywords_caption_and_date() {
        let mut d = dataset(2, 25, b"beach");
        d.extend(dataset(2, 25, b"caf\xe9"));
        d.extend(dataset(2, 120, b"Sunset"));
        d.extend(dataset(2, 55, b"20200102"));
        d.extend(dataset(2, 60, b"030405+0100"));
        let f = parse(&d);
        assert_eq!(f.keywords, vec!["beach", "café"]);
        assert_eq!(f.caption.as_deref(), Some("Sunset"));
        assert_eq!(f.date_created.unwrap().to_iso(), "2020-01-02T03:04:05+01:00");
        let mut truncated = dataset(2, 25, b"ok");
        truncated.extend_from_slice(&[0x1C, 2, 25, 0x00, 0xFF, b'x']);
        assert_eq!(parse(&truncated).keywords, vec!["ok"]);
    }
}
