//! A minimal TIFF IFD walker for what kamadak-exif does not do: following SubIFDs (where RAW files keep the
//! full-size image), and fixing pointer types in place. Values are read only as integers; everything else is
//! kamadak-exif's job. Every offset is bounds-checked and the walk is capped, so a looping file cannot hang it.

pub struct Tiff<'a> {
    pub data: &'a [u8],
    le: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub tag: u16,
    pub kind: u16,
    pub count: u32,
    /// Position of the entry's type field (the 12-byte entry starts 2 bytes before).
    pub pos: usize,
}

const MAX_IFDS: usize = 32;

impl<'a> Tiff<'a> {
    pub fn new(data: &'a [u8]) -> Option<Tiff<'a>> {
        let le = match data.get(0..2)? {
            b"II" => true,
            b"MM" => false,
            _ => return None,
        };
        Some(Tiff { data, le })
    }

    pub fn u16(&self, o: usize) -> Option<u16> {
        let b = self.data.get(o..o + 2)?;
        Some(if self.le { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    }

    pub fn u32(&self, o: usize) -> Option<u32> {
        let b: [u8; 4] = self.data.get(o..o + 4)?.try_into().ok()?;
        Some(if self.le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }

    pub fn little_endian(&self) -> bool {
        self.le
    }

    pub fn first_ifd(&self) -> Option<usize> {
        self.u32(4).map(|o| o as usize)
    }

    /// The entries of the IFD at `offset`, and the offset of the next IFD in the chain.
    pub fn ifd(&self, offset: usize) -> Option<(Vec<Entry>, Option<usize>)> {
        let count = self.u16(offset)? as usize;
        if count == 0 || count > 1000 {
            return None;
        }
        let entries = (0..count)
            .map_while(|i| {
                let at = offset + 2 + i * 12;
                Some(Entry { tag: self.u16(at)?, kind: self.u16(at + 2)?, count: self.u32(at + 4)?, pos: at + 2 })
            })
            .collect();
        let next = self.u32(offset + 2 + count * 12).map(|n| n as usize).filter(|&n| n >= 8);
        Some((entries, next))
    }

    /// Integer values of an entry (BYTE, SHORT, LONG, SLONG and IFD types; RATIONALs as their integer part).
    pub fn uints(&self, e: &Entry) -> Vec<u32> {
        let size = match e.kind {
            1 | 6 | 7 => 1,
            3 | 8 => 2,
            4 | 9 | 13 => 4,
            5 | 10 => 8,
            _ => return Vec::new(),
        };
        let count = (e.count as usize).min(64);
        let total = size * count;
        let start = if total <= 4 { e.pos + 6 } else { self.u32(e.pos + 6).unwrap_or(u32::MAX) as usize };
        (0..count)
            .filter_map(|i| {
                let at = start.checked_add(i * size)?;
                match size {
                    1 => self.data.get(at).map(|&b| b as u32),
                    2 => self.u16(at).map(u32::from),
                    4 => self.u32(at),
                    _ => {
                        let (n, d) = (self.u32(at)?, self.u32(at + 4)?);
                        (d != 0).then(|| n / d)
                    }
                }
            })
            .collect()
    }

    fn find(&self, entries: &[Entry], tag: u16) -> Vec<u32> {
        entries.iter().find(|e| e.tag == tag).map(|e| self.uints(e)).unwrap_or_default()
    }

    /// Every IFD reachable from IFD0: the main chain and SubIFDs, breadth first, capped.
    pub fn all_ifds(&self) -> Vec<Vec<Entry>> {
        let mut queue: Vec<usize> = self.first_ifd().into_iter().collect();
        let mut seen = Vec::new();
        let mut out = Vec::new();
        while let Some(offset) = queue.pop() {
            if seen.contains(&offset) || seen.len() >= MAX_IFDS {
                continue;
            }
            seen.push(offset);
            let Some((entries, next)) = self.ifd(offset) else { continue };
            queue.extend(next);
            queue.extend(self.find(&entries, 0x14A).into_iter().map(|o| o as usize));
            out.push(entries);
        }
        out
    }

    /// DNG's DefaultCropSize: the size a raw converter outputs.
    pub fn dng_crop_size(&self) -> Option<(u32, u32)> {
        self.all_ifds().iter().find_map(|entries| match self.find(entries, 0xC620)[..] {
            [w, h, ..] if w > 0 && h > 0 => Some((w, h)),
            _ => None,
        })
    }

    /// The largest IFD marked as the main image (NewSubfileType 0), SubIFDs included.
    pub fn main_image_size(&self) -> Option<(u32, u32)> {
        self.all_ifds()
            .iter()
            .filter(|e| self.find(e, 0xFE).first().copied().unwrap_or(0) == 0)
            .filter_map(|e| Some((*self.find(e, 0x100).first()?, *self.find(e, 0x101).first()?)))
            .filter(|(w, h)| *w > 0 && *h > 0)
            .max_by_key(|(w, h)| *w as u64 * *h as u64)
    }

    /// Panasonic RW2: the image is the sensor area inside its borders (IFD0 tags 4 to 7).
    pub fn panasonic_size(&self) -> Option<(u32, u32)> {
        let (entries, _) = self.ifd(self.first_ifd()?)?;
        let get = |t| self.find(&entries, t).first().copied();
        let (top, left, bottom, right) = (get(4)?, get(5)?, get(6)?, get(7)?);
        Some((right.checked_sub(left)?, bottom.checked_sub(top)?)).filter(|(w, h)| *w > 0 && *h > 0)
    }
}
