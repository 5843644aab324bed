//! SFace (2021dec), the face embedder: the network written with candle-nn over the converted weights. Input: an
//! aligned 112×112 face, RGB, 0–255 (the network scales it to (x − 127.5) / 128 itself). Output: 128 values,
//! L2-normalised here, compared by cosine.
//!
//! A MobileFaceNet-style stack without residuals: a 3×3 convolution, then pairs of a depthwise 3×3 (stride 2 at
//! each of the four reductions, 112 → 7) and a 1×1, every convolution followed by its (folded) batch norm and a
//! PReLU; then one linear layer over the 1024×7×7 map (the final batch norms folded into it by `models/fetch.py`).

use candle_core::{Module, Result, Tensor};
use candle_nn::Linear;

use super::layers::{Activation, Conv, Weights};

/// The side of the aligned face the network takes.
pub const SIDE: usize = 112;

/// The stack, by layer name and stride.
const LAYERS: [(&str, usize); 27] = [
    ("conv_1", 1),
    ("conv_2_dw", 1),
    ("conv_2", 1),
    ("conv_3_dw", 2),
    ("conv_3", 1),
    ("conv_4_dw", 1),
    ("conv_4", 1),
    ("conv_5_dw", 2),
    ("conv_5", 1),
    ("conv_6_dw", 1),
    ("conv_6", 1),
    ("conv_7_dw", 2),
    ("conv_7", 1),
    ("conv_8_dw", 1),
    ("conv_8", 1),
    ("conv_9_dw", 1),
    ("conv_9", 1),
    ("conv_10_dw", 1),
    ("conv_10", 1),
    ("conv_11_dw", 1),
    ("conv_11", 1),
    ("conv_12_dw", 1),
    ("conv_12", 1),
    ("conv_13_dw", 2),
    ("conv_13", 1),
    ("conv_14_dw", 1),
    ("conv_14", 1),
];

pub struct SFace {
    /// Each with its PReLU.
    layers: Vec<Conv>,
    fc: Linear,
}

impl SFace {
    pub fn load(weights: &Weights) -> Result<SFace> {
        let layers = LAYERS
            .iter()
            .map(|(name, stride)| {
                let slopes = weights.get(&format!("{name}.prelu"))?.to_vec1()?;
                weights.conv(name, *stride, Activation::PRelu(slopes))
            })
            .collect::<Result<_>>()?;
        let fc = Linear::new(weights.get("fc.weight")?.clone(), Some(weights.get("fc.bias")?.clone()));
        Ok(SFace { layers, fc })
    }

    /// The raw 128 values for a batch of faces, N×3×112×112 RGB 0–255: N×128.
    pub fn forward(&self, faces: &Tensor) -> Result<Tensor> {
        let mut x = ((faces - 127.5)? * 0.0078125)?;
        for conv in &self.layers {
            x = conv.forward(&x)?;
        }
        self.fc.forward(&x.flatten_from(1)?)
    }
}

/// The vector scaled to length 1 (all zeros stays all zeros).
pub fn normalised(values: Vec<f32>) -> Vec<f32> {
    let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm == 0.0 {
        return values;
    }
    values.into_iter().map(|v| v / norm).collect()
}
