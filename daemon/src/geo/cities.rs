//! The places of `cities.csv` (`lat,lon,name,admin1,admin2,cc,population,city_of`), held compactly: about
//! 170,000 rows in a few megabytes. Names live in one text arena; the state and county names, which repeat, are
//! stored once.

use std::collections::HashMap;

/// One place, as `Geocoder::locate` reads it.
pub struct CityRef<'a> {
    pub name: &'a str,
    pub admin1: &'a str,
    pub admin2: &'a str,
    pub cc: [u8; 2],
    /// The city this place is a quarter of (its index), as `models/geodata.py` found it.
    pub city_of: Option<u32>,
}

struct Row {
    lat: f32,
    lon: f32,
    /// The name, as a range of `text`.
    name_start: u32,
    name_len: u16,
    admin1: u32,
    admin2: u32,
    cc: [u8; 2],
    /// `u32::MAX`: none.
    city_of: u32,
}

pub struct Cities {
    rows: Vec<Row>,
    text: String,
    /// The distinct state and county names, each a range of `text`.
    admins: Vec<(u32, u32)>,
}

#[derive(serde::Deserialize)]
struct CsvRow<'a> {
    lat: f32,
    lon: f32,
    name: &'a str,
    admin1: &'a str,
    admin2: &'a str,
    cc: &'a str,
    #[serde(default)]
    city_of: Option<u32>,
}

impl Cities {
    pub fn parse(csv_bytes: &[u8]) -> Result<Cities, String> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv_bytes);
        let mut out = Cities { rows: Vec::with_capacity(150_000), text: String::new(), admins: Vec::new() };
        let mut names: HashMap<String, u32> = HashMap::new();
        // Columns by name: the file may carry more than these (the population).
        let headers = reader.headers().map_err(|e| e.to_string())?.clone();
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(|e| e.to_string())? {
            let row: CsvRow =
                record.deserialize(Some(&headers)).map_err(|e| format!("row {}: {e}", out.rows.len() + 2))?;
            let cc: [u8; 2] = row.cc.as_bytes().try_into().map_err(|_| format!("bad country code {:?}", row.cc))?;
            let mut admin = |name: &str| -> u32 {
                if let Some(&id) = names.get(name) {
                    return id;
                }
                let start = out.text.len() as u32;
                out.text.push_str(name);
                out.admins.push((start, out.text.len() as u32));
                let id = out.admins.len() as u32 - 1;
                names.insert(name.to_string(), id);
                id
            };
            let (admin1, admin2) = (admin(row.admin1), admin(row.admin2));
            let name_start = out.text.len() as u32;
            let name_len = u16::try_from(row.name.len()).map_err(|_| format!("a name of {} bytes", row.name.len()))?;
            out.text.push_str(row.name);
            let city_of = row.city_of.unwrap_or(u32::MAX);
            out.rows.push(Row { lat: row.lat, lon: row.lon, name_start, name_len, admin1, admin2, cc, city_of });
        }
        if out.rows.len() < 1000 {
            return Err(format!("only {} places", out.rows.len()));
        }
        if out.rows.iter().any(|r| r.city_of != u32::MAX && r.city_of as usize >= out.rows.len()) {
            return Err("a city_of beyond the last place".into());
        }
        out.rows.shrink_to_fit();
        out.text.shrink_to_fit();
        Ok(out)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn positions(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.rows.iter().map(|r| (f64::from(r.lat), f64::from(r.lon)))
    }

    pub fn position(&self, index: u32) -> (f64, f64) {
        let row = &self.rows[index as usize];
        (f64::from(row.lat), f64::from(row.lon))
    }

    pub fn get(&self, index: u32) -> CityRef<'_> {
        let row = &self.rows[index as usize];
        let admin = |id: u32| {
            let (s, e) = self.admins[id as usize];
            &self.text[s as usize..e as usize]
        };
        let name_start = row.name_start as usize;
        CityRef {
            name: &self.text[name_start..name_start + usize::from(row.name_len)],
            admin1: admin(row.admin1),
            admin2: admin(row.admin2),
            cc: row.cc,
            city_of: (row.city_of != u32::MAX).then_some(row.city_of),
        }
    }
}
