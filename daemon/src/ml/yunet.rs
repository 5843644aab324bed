//! YuNet (2023mar), the face detector: the network written with candle-nn over the converted weights, and its
//! decoding into faces with five landmarks. Input: BGR, 0–255, no normalisation, any size that is a multiple of
//! 32 (the network is fully convolutional). Best for faces of 10–300 px.
//!
//! The network: a stem (3×3 stride 2, ReLU), then "DP units" (a 1×1 convolution, a depthwise 3×3, ReLU) with
//! 2×2 max pools between stages; the last three stages give C3, C4, C5 (strides 8, 16, 32). The neck adds each
//! level to the nearest-neighbour upsampling of the one above and passes it through a DP unit; the head gives,
//! per level, four maps (a 1×1 then a depthwise 3×3 each): class and objectness scores, box and landmarks.

use candle_core::{Module, Result, Tensor};

use super::layers::{max_pool2, Activation, Conv, Weights};
use super::Face;

/// A 1×1 convolution then a depthwise 3×3: with a ReLU after it, a "DP unit" of the backbone and the neck;
/// without, a head map.
struct DpUnit {
    pointwise: Conv,
    depthwise: Conv,
}

impl DpUnit {
    fn load(weights: &Weights, name: &str, activation: Activation) -> Result<DpUnit> {
        Ok(DpUnit {
            pointwise: weights.conv(&format!("{name}.conv1"), 1, Activation::Linear)?,
            depthwise: weights.conv(&format!("{name}.conv2"), 1, activation)?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.depthwise.forward(&self.pointwise.forward(x)?)
    }
}

/// The four maps of one level.
struct Level {
    cls: DpUnit,
    obj: DpUnit,
    bbox: DpUnit,
    kps: DpUnit,
}

pub struct YuNet {
    stem: Conv,
    /// backbone.model0.conv2 and the units of model1 … model5, two each.
    units: Vec<DpUnit>,
    /// The neck's units for P3, P4, P5 (neck.lateral_convs.0 … 2).
    lateral: Vec<DpUnit>,
    /// Strides 8, 16, 32.
    levels: Vec<Level>,
}

/// The strides of the three levels.
pub const STRIDES: [usize; 3] = [8, 16, 32];

impl YuNet {
    pub fn load(weights: &Weights) -> Result<YuNet> {
        let unit = |name: &str| DpUnit::load(weights, name, Activation::Relu);
        let mut units = vec![unit("backbone.model0.conv2")?];
        for stage in 1..=5 {
            for k in 1..=2 {
                units.push(unit(&format!("backbone.model{stage}.conv{k}"))?);
            }
        }
        let lateral = (0..3).map(|k| unit(&format!("neck.lateral_convs.{k}"))).collect::<Result<_>>()?;
        let map = |kind: &str, level: usize| {
            DpUnit::load(weights, &format!("bbox_head.multi_level_{kind}.{level}"), Activation::Linear)
        };
        let levels = (0..3)
            .map(|k| Ok(Level { cls: map("cls", k)?, obj: map("obj", k)?, bbox: map("bbox", k)?, kps: map("kps", k)? }))
            .collect::<Result<_>>()?;
        Ok(YuNet { stem: weights.conv("backbone.model0.conv1", 2, Activation::Relu)?, units, lateral, levels })
    }

    /// The raw maps for a 1×3×H×W BGR input: per level, (cls, obj, bbox, kps), each 1×C×(H/s)×(W/s), with the
    /// sigmoid already applied to cls and obj.
    pub fn forward(&self, input: &Tensor) -> Result<Vec<[Tensor; 4]>> {
        let x = self.stem.forward(input)?;
        let x = max_pool2(&self.units[0].forward(&x)?)?;
        let x = self.units[1].forward(&x)?;
        let x = self.units[2].forward(&x)?;
        let x = self.units[3].forward(&x)?;
        let x = max_pool2(&self.units[4].forward(&x)?)?;
        let c3 = self.units[6].forward(&self.units[5].forward(&x)?)?;
        let c4 = self.units[8].forward(&self.units[7].forward(&max_pool2(&c3)?)?)?;
        let c5 = self.units[10].forward(&self.units[9].forward(&max_pool2(&c4)?)?)?;
        let p5 = self.lateral[2].forward(&c5)?;
        let p4 = self.lateral[1].forward(&(c4 + upsample2(&p5)?)?)?;
        let p3 = self.lateral[0].forward(&(c3 + upsample2(&p4)?)?)?;
        [p3, p4, p5]
            .iter()
            .zip(&self.levels)
            .map(|(p, level)| {
                Ok([
                    candle_nn::ops::sigmoid(&level.cls.forward(p)?)?,
                    candle_nn::ops::sigmoid(&level.obj.forward(p)?)?,
                    level.bbox.forward(p)?,
                    level.kps.forward(p)?,
                ])
            })
            .collect()
    }
}

fn upsample2(x: &Tensor) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    x.upsample_nearest2d(h * 2, w * 2)
}

/// The faces the maps of an input of `width`×`height` hold with a score of at least `min_score`, before
/// non-maximum suppression, in the input's pixels. score = √(cls·obj); the box centre is (column + dx, row + dy)
/// times the stride, its size exp(dw), exp(dh) times the stride; landmark j is (column + kx, row + ky) times it.
pub fn decode(maps: &[[Tensor; 4]], width: usize, min_score: f32) -> Result<Vec<Face>> {
    let mut faces = Vec::new();
    for (level, stride) in maps.iter().zip(STRIDES) {
        let columns = width / stride;
        let flat = |t: &Tensor| -> Result<Vec<f32>> { t.flatten_all()?.to_vec1::<f32>() };
        let (cls, obj, bbox, kps) = (flat(&level[0])?, flat(&level[1])?, flat(&level[2])?, flat(&level[3])?);
        let cells = cls.len();
        for cell in 0..cells {
            let score = (cls[cell].clamp(0.0, 1.0) * obj[cell].clamp(0.0, 1.0)).sqrt();
            // A NaN score is dropped too.
            if score.is_nan() || score < min_score {
                continue;
            }
            let (row, column) = ((cell / columns) as f32, (cell % columns) as f32);
            let s = stride as f32;
            // Maps are channel-first: channel k of cell c is at k * cells + c.
            let b = |k: usize| bbox[k * cells + cell];
            let k = |j: usize| kps[j * cells + cell];
            let (cx, cy) = ((column + b(0)) * s, (row + b(1)) * s);
            let (w, h) = (b(2).exp() * s, b(3).exp() * s);
            let mut landmarks = [[0.0f32; 2]; 5];
            for (j, point) in landmarks.iter_mut().enumerate() {
                *point = [(k(2 * j) + column) * s, (k(2 * j + 1) + row) * s];
            }
            let face = Face { bbox: [cx - w / 2.0, cy - h / 2.0, w, h], landmarks, score, embedding: None };
            // A box the network blew up (an infinite size) or a NaN landmark is no face.
            if face.bbox.iter().chain(face.landmarks.iter().flatten()).all(|v| v.is_finite()) {
                faces.push(face);
            }
        }
    }
    Ok(faces)
}

/// Keeps the best face of each group that overlaps by more than `max_overlap` (intersection over union).
pub fn suppress(mut faces: Vec<Face>, max_overlap: f32) -> Vec<Face> {
    faces.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Face> = Vec::new();
    for face in faces {
        if kept.iter().all(|k| iou(&k.bbox, &face.bbox) <= max_overlap) {
            kept.push(face);
        }
    }
    kept
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let (x1, y1) = (a[0].max(b[0]), a[1].max(b[1]));
    let (x2, y2) = ((a[0] + a[2]).min(b[0] + b[2]), (a[1] + a[3]).min(b[1] + b[3]));
    let inter = (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
    let union = a[2] * a[3] + b[2] * b[3] - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}
