//! The building blocks the face networks share: convolutions made from the converted weights (a layer's
//! `.weight` and `.bias`, as `models/fetch.py` names them), each run the fastest way for its shape. candle's
//! grouped convolution runs one convolution per group, which made a depthwise layer of YuNet cost as much as the
//! whole network in OpenCV; so a 1×1 convolution is a matrix product, and a depthwise 3×3 a direct loop (a
//! candle custom op). Other shapes (the two stems) use candle's convolution.

use std::collections::HashMap;

use candle_core::{CpuStorage, CustomOp1, Layout, Module, Result, Shape, Tensor};
use candle_nn::{Conv2d, Conv2dConfig};

/// The tensors of one safetensors file, by name.
pub struct Weights(pub HashMap<String, Tensor>);

impl Weights {
    pub fn get(&self, name: &str) -> Result<&Tensor> {
        self.0.get(name).ok_or_else(|| candle_core::Error::Msg(format!("the model has no tensor {name}")))
    }

    /// The convolution `layer`, square, with "same" padding. A 3×3 weight with one input channel per filter is
    /// depthwise (the networks have no other such layer; the op checks the channel count).
    pub fn conv(&self, layer: &str, stride: usize) -> Result<Conv> {
        let weight = self.get(&format!("{layer}.weight"))?.clone();
        let bias = self.get(&format!("{layer}.bias"))?.clone();
        let (out_channels, per_group, kernel, _) = weight.dims4()?;
        match (kernel, per_group) {
            (1, _) if stride == 1 => {
                let bias = bias.reshape((out_channels, 1))?;
                Ok(Conv::Pointwise { weight: weight.reshape((out_channels, per_group))?, bias })
            }
            (3, 1) if stride <= 2 => Ok(Conv::Depthwise(Depthwise3x3 {
                weight: weight.flatten_all()?.to_vec1()?,
                bias: bias.to_vec1()?,
                stride,
            })),
            _ => {
                let config = Conv2dConfig { padding: kernel / 2, stride, ..Default::default() };
                Ok(Conv::Full(Conv2d::new(weight, Some(bias), config)))
            }
        }
    }
}

/// A convolution layer.
pub enum Conv {
    /// 1×1: weight [out, in] times the input seen as [in, height·width].
    Pointwise {
        weight: Tensor,
        bias: Tensor,
    },
    Depthwise(Depthwise3x3),
    Full(Conv2d),
}

impl Module for Conv {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            Conv::Pointwise { weight, bias } => {
                let (n, c, h, w) = x.dims4()?;
                let product = weight.broadcast_matmul(&x.reshape((n, c, h * w))?)?.broadcast_add(bias)?;
                product.reshape((n, weight.dim(0)?, h, w))
            }
            Conv::Depthwise(op) => x.contiguous()?.apply_op1_no_bwd(op),
            Conv::Full(conv) => conv.forward(x),
        }
    }
}

/// A depthwise 3×3 convolution (one filter per channel), padding 1, stride 1 or 2.
pub struct Depthwise3x3 {
    /// 9 taps per channel, row by row.
    weight: Vec<f32>,
    bias: Vec<f32>,
    stride: usize,
}

impl CustomOp1 for Depthwise3x3 {
    fn name(&self) -> &'static str {
        "depthwise3x3"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (start, end) =
            layout.contiguous_offsets().ok_or(candle_core::Error::RequiresContiguous { op: "depthwise3x3" })?;
        let input = &storage.as_slice::<f32>()?[start..end];
        let (n, c, h, w) = layout.shape().dims4()?;
        if c != self.bias.len() {
            candle_core::bail!("depthwise3x3: {c} channels for {} filters", self.bias.len());
        }
        let s = self.stride;
        let (oh, ow) = ((h - 1) / s + 1, (w - 1) / s + 1);
        let mut out = vec![0f32; n * c * oh * ow];
        for (plane, (input, out)) in input.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)).enumerate() {
            let channel = plane % c;
            let k = &self.weight[channel * 9..channel * 9 + 9];
            out.fill(self.bias[channel]);
            for (oy, row) in out.chunks_exact_mut(ow).enumerate() {
                for ky in 0..3 {
                    let Some(iy) = (oy * s + ky).checked_sub(1).filter(|&iy| iy < h) else { continue };
                    let line = &input[iy * w..(iy + 1) * w];
                    accumulate_row(row, line, &k[ky * 3..ky * 3 + 3], s);
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, c, oh, ow))))
    }
}

/// Adds one kernel row's three taps over one input line to an output row: out[x] += Σ k[j] · line[x·s + j − 1],
/// with zeros outside the line.
fn accumulate_row(row: &mut [f32], line: &[f32], k: &[f32], s: usize) {
    let w = line.len();
    let tap = |ix: isize| if ix >= 0 && (ix as usize) < w { line[ix as usize] } else { 0.0 };
    let last = row.len() - 1;
    // The edges, where a tap may fall outside the line.
    let edges: &[usize] = if last == 0 { &[0] } else { &[0, last] };
    for &ox in edges {
        let x = (ox * s) as isize;
        row[ox] += k[0] * tap(x - 1) + k[1] * tap(x) + k[2] * tap(x + 1);
    }
    if last < 2 {
        return;
    }
    // The inside, without bounds checks in the loop (so it vectorises for stride 1).
    let inside = &mut row[1..last];
    if s == 1 {
        let (left, centre, right) = (&line[..w - 2], &line[1..w - 1], &line[2..]);
        for (((o, a), b), c) in inside.iter_mut().zip(left).zip(centre).zip(right) {
            *o += k[0] * a + k[1] * b + k[2] * c;
        }
    } else {
        for (i, o) in inside.iter_mut().enumerate() {
            let x = (i + 1) * s;
            if x + 1 < w {
                *o += k[0] * line[x - 1] + k[1] * line[x] + k[2] * line[x + 1];
            } else {
                *o += k[0] * line[x - 1] + k[1] * tap(x as isize);
            }
        }
    }
}

/// The ONNX PReLU with one slope per channel: x where x > 0, slope · x elsewhere, over N×C×H×W. One pass and one
/// new tensor (candle's own `prelu` makes four).
pub struct PRelu(pub Vec<f32>);

impl CustomOp1 for PRelu {
    fn name(&self) -> &'static str {
        "prelu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (start, end) = layout.contiguous_offsets().ok_or(candle_core::Error::RequiresContiguous { op: "prelu" })?;
        let input = &storage.as_slice::<f32>()?[start..end];
        let (_, c, h, w) = layout.shape().dims4()?;
        if c != self.0.len() {
            candle_core::bail!("prelu: {c} channels for {} slopes", self.0.len());
        }
        let mut out = Vec::with_capacity(input.len());
        for (plane, values) in input.chunks_exact(h * w).enumerate() {
            let slope = self.0[plane % c];
            out.extend(values.iter().map(|&v| if v > 0.0 { v } else { v * slope }));
        }
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn prelu_keeps_what_is_positive_and_scales_the_rest_by_its_channels_slope() {
        let x = Tensor::new(&[[[[1f32, -2.0]], [[-4.0, 0.5]]]], &Device::Cpu).unwrap();
        let y = x.apply_op1_no_bwd(&PRelu(vec![0.5, -1.0])).unwrap();
        assert_eq!(y.flatten_all().unwrap().to_vec1::<f32>().unwrap(), [1.0, -1.0, 4.0, 0.5]);
    }

    /// The direct loop and the 1×1 product give what candle's own convolution gives, at both strides and on odd
    /// and even sizes.
    #[test]
    fn the_fast_convolutions_equal_candles_own() {
        let device = Device::Cpu;
        for (h, w, stride) in [(7, 9, 1), (8, 8, 2), (9, 6, 2), (5, 1, 1), (1, 4, 2)] {
            let x = Tensor::randn(0f32, 1.0, (2, 4, h, w), &device).unwrap();
            let weight = Tensor::randn(0f32, 1.0, (4, 1, 3, 3), &device).unwrap();
            let bias = Tensor::randn(0f32, 1.0, 4, &device).unwrap();
            let tensors =
                HashMap::from([("d.weight".to_string(), weight.clone()), ("d.bias".to_string(), bias.clone())]);
            let fast = Weights(tensors).conv("d", stride).unwrap();
            assert!(matches!(fast, Conv::Depthwise(_)));
            let config = Conv2dConfig { padding: 1, stride, groups: 4, ..Default::default() };
            let reference = Conv2d::new(weight, Some(bias), config).forward(&x).unwrap();
            let diff = (fast.forward(&x).unwrap() - reference).unwrap().abs().unwrap().max_all().unwrap();
            assert!(diff.to_scalar::<f32>().unwrap() < 1e-5, "{h}x{w} stride {stride}");
        }
        let x = Tensor::randn(0f32, 1.0, (3, 5, 4, 6), &device).unwrap();
        let weight = Tensor::randn(0f32, 1.0, (7, 5, 1, 1), &device).unwrap();
        let bias = Tensor::randn(0f32, 1.0, 7, &device).unwrap();
        let tensors = HashMap::from([("p.weight".to_string(), weight.clone()), ("p.bias".to_string(), bias.clone())]);
        let fast = Weights(tensors).conv("p", 1).unwrap();
        assert!(matches!(fast, Conv::Pointwise { .. }));
        let reference = Conv2d::new(weight, Some(bias), Conv2dConfig::default()).forward(&x).unwrap();
        let diff = (fast.forward(&x).unwrap() - reference).unwrap().abs().unwrap().max_all().unwrap();
        assert!(diff.to_scalar::<f32>().unwrap() < 1e-4);
    }
}
