//! The subject classifier as the worker runs it: an image (a thumbnail, upright) brought to the network's square,
//! classified, and the classes that matter kept with their scores. Which classes make which subject is the
//! concepts' business (`ml/concepts.rs`); this module only sees ImageNet classes.

use std::fs::File;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::efficientnet::{self, EfficientNet, SIDE};
use crate::media::thumb::Pixels;

/// A class is kept when it scores at least this (out of 1); concepts add the scores of their classes, so a
/// subject spread over many similar classes (118 dog breeds) still counts.
pub const KEEP_SCORE: f32 = 0.005;
/// At most this many classes of one image are kept, the best first.
pub const KEEP_CLASSES: usize = 20;

/// The classes an image scored, best first: (ImageNet class index, softmax score), and what its pixels look like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classes {
    pub classes: Vec<(u16, f32)>,
    #[serde(default)]
    pub page: PageStats,
}

/// What tells a document from a photo, which ImageNet's classes do not: how much of the image is paper (bright and
/// grey), how much is ink (dark), and how much is colourful.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PageStats {
    pub paper: f32,
    pub ink: f32,
    pub colour: f32,
}

impl PageStats {
    pub fn of(image: &Pixels) -> PageStats {
        let c = image.channels as usize;
        let (mut paper, mut ink, mut colour, mut n) = (0u32, 0u32, 0u32, 0u32);
        for pixel in image.data.chunks_exact(c) {
            let (lo, hi) =
                (pixel[..3].iter().min().copied().unwrap_or(0), pixel[..3].iter().max().copied().unwrap_or(0));
            let chroma = hi - lo;
            n += 1;
            if lo >= 170 && chroma <= 30 {
                paper += 1;
            } else if hi <= 90 {
                ink += 1;
            }
            if chroma >= 80 {
                colour += 1;
            }
        }
        let share = |k: u32| k as f32 / n.max(1) as f32;
        PageStats { paper: share(paper), ink: share(ink), colour: share(colour) }
    }

    /// Mostly paper, some ink, little colour: a page of text or a drawing.
    pub fn is_document(&self) -> bool {
        self.paper >= 0.6 && (0.05..=0.3).contains(&self.ink) && self.colour <= 0.05
    }
}

pub struct Classifier {
    net: EfficientNet,
}

/// The model file, opened by the daemon and handed to the worker as a descriptor.
pub struct ClassifierFile(pub File);

impl ClassifierFile {
    pub const NAME: &str = "efficientnet_lite0.safetensors";

    pub fn open(dir: &Path) -> anyhow::Result<ClassifierFile> {
        let path = dir.join(Self::NAME);
        File::open(&path).map(ClassifierFile).map_err(|e| {
            anyhow::anyhow!("cannot open the subject model {}: {e} (models/fetch.py makes it)", path.display())
        })
    }
}

impl Classifier {
    pub fn from_file(file: &File) -> anyhow::Result<Classifier> {
        let weights = super::read_weights(file, ClassifierFile::NAME)?;
        Ok(Classifier { net: EfficientNet::load(&weights)? })
    }

    /// The network's square: the middle of the image (as ImageNet's classifiers are evaluated), at 224×224.
    pub fn square(image: Pixels) -> anyhow::Result<Pixels> {
        let image = if image.channels == 4 { image.flattened() } else { image };
        image.centre_square().resized(SIDE as u32, SIDE as u32).map_err(anyhow::Error::msg)
    }

    /// All 1000 scores (softmax) of an image that is already the network's square.
    pub fn scores(&self, square: &Pixels) -> anyhow::Result<Vec<f32>> {
        let logits = self.net.forward(&efficientnet::input(square)?)?.squeeze(0)?.to_vec1::<f32>()?;
        Ok(efficientnet::softmax(&logits))
    }

    /// The classes worth keeping of an upright image of any size, and its page statistics (of the whole image).
    pub fn classify(&self, image: Pixels) -> anyhow::Result<Classes> {
        let page = PageStats::of(&image);
        Ok(Classes { page, ..kept(&self.scores(&Classifier::square(image)?)?) })
    }
}

/// The best classes of a score vector, at most `KEEP_CLASSES`, each at least `KEEP_SCORE`.
pub fn kept(scores: &[f32]) -> Classes {
    let mut ranked: Vec<(u16, f32)> = scores.iter().enumerate().map(|(k, &s)| (k as u16, s)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.retain(|&(_, s)| s >= KEEP_SCORE);
    ranked.truncate(KEEP_CLASSES);
    Classes { classes: ranked, page: PageStats::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_of_text_is_paper_with_some_ink_and_a_photo_is_not() {
        let image = |f: &dyn Fn(usize) -> [u8; 3]| {
            let data: Vec<u8> = (0..100 * 100).flat_map(f).collect();
            Pixels::new(100, 100, 3, data).unwrap()
        };
        // Lines of black text on white paper.
        let page =
            PageStats::of(&image(&|k| if (k / 100) % 10 == 0 && k % 7 < 5 { [20, 20, 25] } else { [235, 232, 228] }));
        assert!(page.is_document(), "{page:?}");
        // A blue sky over green grass; a white wall; a night scene.
        for photo in [
            image(&|k| if k < 5000 { [90, 150, 230] } else { [60, 160, 40] }),
            image(&|_| [245, 245, 245]),
            image(&|k| if k % 50 == 0 { [250, 240, 200] } else { [10, 10, 30] }),
        ] {
            assert!(!PageStats::of(&photo).is_document(), "{:?}", PageStats::of(&photo));
        }
    }

    #[test]
    fn only_the_best_classes_that_score_enough_are_kept() {
        let mut scores = vec![0.0001f32; 1000];
        scores[7] = 0.5;
        scores[3] = 0.2;
        scores[900] = 0.004;
        scores[100..130].fill(0.006);
        let kept = kept(&scores).classes;
        assert_eq!(kept.len(), KEEP_CLASSES);
        assert_eq!(&kept[..2], &[(7, 0.5), (3, 0.2)]);
        assert!(kept.iter().all(|&(k, s)| s >= KEEP_SCORE && k != 900));
    }
}
