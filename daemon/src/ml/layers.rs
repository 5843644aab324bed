//! The building blocks the face networks share: convolutions made from the converted weights (a layer's
//! `.weight` and `.bias`, as `models/fetch.py` names them), with the group count read off the weight's shape.

use std::collections::HashMap;

use candle_core::{Result, Tensor};
use candle_nn::{Conv2d, Conv2dConfig};

/// The tensors of one safetensors file, by name.
pub struct Weights(pub HashMap<String, Tensor>);

impl Weights {
    pub fn get(&self, name: &str) -> Result<&Tensor> {
        self.0.get(name).ok_or_else(|| candle_core::Error::Msg(format!("the model has no tensor {name}")))
    }

    /// A square convolution with "same" padding: depthwise (one group per channel) when its weight has one input
    /// channel per output channel and more than one output channel, or when it maps one channel to one.
    pub fn conv(&self, layer: &str, stride: usize) -> Result<Conv2d> {
        let weight = self.get(&format!("{layer}.weight"))?.clone();
        let bias = self.get(&format!("{layer}.bias"))?.clone();
        let (out_channels, per_group, kernel, _) = weight.dims4()?;
        let groups = if per_group == 1 { out_channels } else { 1 };
        let config = Conv2dConfig { padding: kernel / 2, stride, groups, ..Default::default() };
        Ok(Conv2d::new(weight, Some(bias), config))
    }
}

/// The ONNX PReLU with one slope per channel: x where x > 0, slope · x elsewhere.
pub fn prelu(x: &Tensor, slopes: &Tensor) -> Result<Tensor> {
    let slopes = slopes.reshape((1, slopes.elem_count(), 1, 1))?;
    let zeros = x.zeros_like()?;
    x.maximum(&zeros)? + x.minimum(&zeros)?.broadcast_mul(&slopes)?
}
