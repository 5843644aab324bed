//! XMP packets (RDF/XML): description, rating, keywords (flat and hierarchical), dates and GPS, whether written
//! as attributes or as elements. Parsing is done by roxmltree; this module only knows which names matter.

use super::reading::{Gps, Taken};
use super::taken::parse_iso;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct XmpFields {
    pub description: Option<String>,
    pub rating: Option<i32>,
    pub tags: Vec<String>,
    pub date_time_original: Option<Taken>,
    pub create_date: Option<Taken>,
    /// photoshop:DateCreated: often a date-only placeholder, so it ranks after xmp:CreateDate.
    pub date_created: Option<Taken>,
    pub gps: Option<Gps>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub lens: Option<String>,
    pub orientation: Option<u8>,
}

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const DC: &str = "http://purl.org/dc/elements/1.1/";
const XMP: &str = "http://ns.adobe.com/xap/1.0/";
const EXIF: &str = "http://ns.adobe.com/exif/1.0/";
const EXIF_AUX: &str = "http://ns.adobe.com/exif/1.0/aux/";
const TIFF: &str = "http://ns.adobe.com/tiff/1.0/";
const PHOTOSHOP: &str = "http://ns.adobe.com/photoshop/1.0/";
const LIGHTROOM: &str = "http://ns.adobe.com/lightroom/1.0/";
const DIGIKAM: &str = "http://www.digikam.org/ns/1.0/";

/// Reads an XMP packet; garbage gives empty fields, never an error, because XMP is a bonus on top of EXIF.
pub fn parse(packet: &[u8]) -> XmpFields {
    let text = String::from_utf8_lossy(packet);
    let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    let start = text.find("<x:xmpmeta").or_else(|| text.find("<rdf:RDF")).unwrap_or(0);
    let end = text
        .rfind("</x:xmpmeta>")
        .map(|i| i + "</x:xmpmeta>".len())
        .or_else(|| text.rfind("</rdf:RDF>").map(|i| i + "</rdf:RDF>".len()));
    let body = &text[start..end.unwrap_or(text.len()).max(start)];
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: 200_000 };
    let Ok(doc) = roxmltree::Document::parse_with_options(body, options) else { return XmpFields::default() };
    let mut out = XmpFields::default();
    let mut flat_tags = Vec::new();
    let mut hierarchical = Vec::new();
    let (mut lat, mut lon, mut alt, mut alt_ref) = (None, None, None, None);
    let is_description =
        |n: roxmltree::Node| n.tag_name().name() == "Description" && n.tag_name().namespace() == Some(RDF);
    for node in doc.descendants().filter(|n| n.is_element()) {
        // Properties appear either as attributes of rdf:Description or as its child elements. Deeper ones
        // belong to structures (an IPTC LocationShown's coordinates are not where the photo was taken).
        if is_description(node) {
            for attr in node.attributes() {
                if let Some(ns) = attr.namespace() {
                    apply(
                        &mut out,
                        ns,
                        attr.name(),
                        vec![attr.value().to_string()],
                        &mut flat_tags,
                        &mut hierarchical,
                        (&mut lat, &mut lon, &mut alt, &mut alt_ref),
                    );
                }
            }
            continue;
        }
        if !node.parent_element().is_some_and(is_description) {
            continue;
        }
        let Some(ns) = node.tag_name().namespace() else { continue };
        let values = element_values(node);
        if !values.is_empty() {
            apply(
                &mut out,
                ns,
                node.tag_name().name(),
                values,
                &mut flat_tags,
                &mut hierarchical,
                (&mut lat, &mut lon, &mut alt, &mut alt_ref),
            );
        }
    }
    if let (Some(lat), Some(lon)) = (lat, lon) {
        let alt = alt.map(|a: f64| if alt_ref == Some(1) { -a } else { a });
        out.gps = Some(Gps { lat, lon, alt });
    }
    // Hierarchical keywords ("Places|France|Paris") give their leaves as tags, as Lightroom shows them.
    for h in hierarchical {
        if let Some(leaf) = h.rsplit(['|', '/']).next() {
            flat_tags.push(leaf.trim().to_string());
        }
    }
    for t in flat_tags {
        if !t.is_empty() && !out.tags.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
            out.tags.push(t);
        }
    }
    out
}

/// The text of a simple element, or the items of an rdf:Bag/Seq/Alt under it.
fn element_values(node: roxmltree::Node) -> Vec<String> {
    let items: Vec<String> = node
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "li")
        .filter_map(|n| n.text().map(|t| t.trim().to_string()))
        .collect();
    if !items.is_empty() {
        return items;
    }
    if node.children().any(|c| c.is_element()) {
        return Vec::new();
    }
    node.text().map(|t| vec![t.trim().to_string()]).filter(|v| !v[0].is_empty()).unwrap_or_default()
}

#[allow(clippy::type_complexity)]
fn apply(
    out: &mut XmpFields,
    ns: &str,
    name: &str,
    values: Vec<String>,
    flat_tags: &mut Vec<String>,
    hierarchical: &mut Vec<String>,
    gps: (&mut Option<f64>, &mut Option<f64>, &mut Option<f64>, &mut Option<u8>),
) {
    let first = values.first().cloned().unwrap_or_default();
    match (ns, name) {
        (DC, "description") => out.description = out.description.take().or(Some(first).filter(|s| !s.is_empty())),
        (DC, "subject") => flat_tags.extend(values),
        (LIGHTROOM, "hierarchicalSubject") | (DIGIKAM, "TagsList") => hierarchical.extend(values),
        (XMP, "Rating") => out.rating = first.parse::<f64>().ok().map(|r| r.round().clamp(-1.0, 5.0) as i32),
        (EXIF, "DateTimeOriginal") => out.date_time_original = out.date_time_original.or(parse_iso(&first)),
        (PHOTOSHOP, "DateCreated") => out.date_created = out.date_created.or(parse_iso(&first)),
        (XMP, "CreateDate") | (EXIF, "DateTimeDigitized") => out.create_date = out.create_date.or(parse_iso(&first)),
        (EXIF, "GPSLatitude") => *gps.0 = parse_coordinate(&first),
        (EXIF, "GPSLongitude") => *gps.1 = parse_coordinate(&first),
        (EXIF, "GPSAltitude") => *gps.2 = parse_rational(&first),
        (EXIF, "GPSAltitudeRef") => *gps.3 = first.parse().ok(),
        (TIFF, "Make") => out.make = Some(first),
        (TIFF, "Model") => out.model = Some(first),
        (TIFF, "Orientation") => out.orientation = first.parse().ok().filter(|o| (1..=8).contains(o)),
        (EXIF_AUX, "Lens") | (EXIF, "LensModel") => out.lens = out.lens.take().or(Some(first)),
        _ => {}
    }
}

/// XMP writes coordinates as "DDD,MM.mmmmK" or "DDD,MM,SSK", with K one of N/S/E/W.
fn parse_coordinate(s: &str) -> Option<f64> {
    let s = s.trim();
    let hemisphere = s.chars().last()?;
    let sign = match hemisphere.to_ascii_uppercase() {
        'N' | 'E' => 1.0,
        'S' | 'W' => -1.0,
        _ => return s.parse().ok(),
    };
    let parts: Vec<f64> = s[..s.len() - 1].split(',').map(|p| p.trim().parse().ok()).collect::<Option<_>>()?;
    let value = match parts.as_slice() {
        [d, m] => d + m / 60.0,
        [d, m, sec] => d + m / 60.0 + sec / 3600.0,
        _ => return None,
    };
    Some(sign * value)
}

fn parse_rational(s: &str) -> Option<f64> {
    match s.split_once('/') {
        Some((n, d)) => {
            let (n, d): (f64, f64) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
            (d != 0.0).then_some(n / d)
        }
        None => s.trim().parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_attributes_elements_and_hierarchies() {
        let x = br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
          <rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"
             xmlns:lr="http://ns.adobe.com/lightroom/1.0/" xmlns:exif="http://ns.adobe.com/exif/1.0/"
             xmp:Rating="4" exif:GPSLatitude="48,51.4N" exif:GPSLongitude="2,21.0E">
            <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Eiffel</rdf:li></rdf:Alt></dc:description>
            <dc:subject><rdf:Bag><rdf:li>tower</rdf:li><rdf:li>Paris</rdf:li></rdf:Bag></dc:subject>
            <lr:hierarchicalSubject><rdf:Bag><rdf:li>Places|France|Paris</rdf:li><rdf:li>Trips|2019</rdf:li></rdf:Bag></lr:hierarchicalSubject>
            <xmp:CreateDate>2019-05-01T10:00:00+02:00</xmp:CreateDate>
          </rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let f = parse(x);
        assert_eq!(f.description.as_deref(), Some("Eiffel"));
        assert_eq!(f.rating, Some(4));
        assert_eq!(f.tags, vec!["tower", "Paris", "2019"]);
        assert_eq!(f.create_date.unwrap().to_iso(), "2019-05-01T10:00:00+02:00");
        let g = f.gps.unwrap();
        assert!((g.lat - 48.856_666).abs() < 1e-5 && (g.lon - 2.35).abs() < 1e-9);
        assert_eq!(parse(b"not xml <<"), XmpFields::default());
    }
}
