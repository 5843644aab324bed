//! EfficientNet-Lite0, the subject classifier: an image of 224×224 in, the scores of the 1000 ImageNet classes
//! out. The weights are Google's (trained in TensorFlow, as converted to PyTorch and then by `models/fetch.py`
//! to safetensors with every batch norm folded into its convolution). The network is MobileNetV2's inverted
//! residual block laid out as EfficientNet-B0 has it, without squeeze-and-excitation, with ReLU6, and padded the
//! TensorFlow "SAME" way.

use candle_core::{Device, Module, Tensor};

use super::layers::{Activation, Conv, Weights};
use crate::media::thumb::Pixels;

/// The side of the square the network looks at.
pub const SIDE: usize = 224;
/// The number of classes it scores.
pub const CLASSES: usize = 1000;

/// The stride of each stage's first block, as in EfficientNet-B0: a stage is a run of blocks with the same output
/// channels (16, 24, 40, 80, 112, 192, 320).
const STAGE_STRIDES: [usize; 7] = [1, 2, 2, 2, 1, 2, 1];

/// One inverted residual block: an optional 1×1 expansion, a depthwise convolution, a 1×1 projection, and the
/// input added back when the shape is unchanged.
struct Block {
    expand: Option<Conv>,
    depthwise: Conv,
    project: Conv,
    residual: bool,
}

pub struct EfficientNet {
    stem: Conv,
    blocks: Vec<Block>,
    head: Conv,
    fc: candle_nn::Linear,
}

impl EfficientNet {
    pub fn load(w: &Weights) -> anyhow::Result<EfficientNet> {
        let relu6 = || Activation::Relu6;
        let mut blocks = Vec::new();
        let (mut stage, mut channels) = (0usize, w.get("stem.weight")?.dim(0)?);
        let mut previous_out = None;
        for n in 0.. {
            let layer = |part: &str| format!("blocks.{n}.{part}");
            let Ok(project) = w.get(&format!("{}.weight", layer("project"))) else { break };
            let out = project.dim(0)?;
            if previous_out.is_some_and(|previous| previous != out) {
                stage += 1;
            }
            let stride = if previous_out != Some(out) { *STAGE_STRIDES.get(stage).unwrap_or(&1) } else { 1 };
            previous_out = Some(out);
            let expand = match w.0.contains_key(&format!("{}.weight", layer("expand"))) {
                true => Some(w.conv(&layer("expand"), 1, relu6())?),
                false => None,
            };
            blocks.push(Block {
                expand,
                depthwise: w.conv_same(&layer("depthwise"), stride, relu6())?,
                project: w.conv(&layer("project"), 1, Activation::Linear)?,
                residual: stride == 1 && out == channels,
            });
            channels = out;
        }
        anyhow::ensure!(blocks.len() == 16, "EfficientNet-Lite0 has 16 blocks, this file {}", blocks.len());
        let fc = candle_nn::Linear::new(w.get("fc.weight")?.clone(), Some(w.get("fc.bias")?.clone()));
        Ok(EfficientNet { stem: w.conv_same("stem", 2, relu6())?, blocks, head: w.conv("head", 1, relu6())?, fc })
    }

    /// The class logits of a batch of N×3×224×224 inputs (see `input`).
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut x = self.stem.forward(x)?;
        for block in &self.blocks {
            let expanded = match &block.expand {
                Some(expand) => expand.forward(&x)?,
                None => x.clone(),
            };
            let y = block.project.forward(&block.depthwise.forward(&expanded)?)?;
            x = if block.residual { (y + x)? } else { y };
        }
        let pooled = self.head.forward(&x)?.mean((2, 3))?;
        self.fc.forward(&pooled)
    }
}

/// The network's input for an RGB image that is already 224×224: 1×3×224×224, (x − 127.5) / 127.5.
pub fn input(image: &Pixels) -> anyhow::Result<Tensor> {
    anyhow::ensure!(image.channels == 3, "an RGB image is needed, not {} channels", image.channels);
    anyhow::ensure!(
        (image.width as usize, image.height as usize) == (SIDE, SIDE),
        "the classifier takes {SIDE}×{SIDE}, not {}×{}",
        image.width,
        image.height
    );
    let plane = SIDE * SIDE;
    let mut planar = vec![0f32; 3 * plane];
    for (k, pixel) in image.data.chunks_exact(3).enumerate() {
        for c in 0..3 {
            planar[c * plane + k] = (f32::from(pixel[c]) - 127.5) / 127.5;
        }
    }
    Ok(Tensor::from_vec(planar, (1, 3, SIDE, SIDE), &Device::Cpu)?)
}

/// Scores that sum to 1.
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exp: Vec<f32> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f32 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}
