//! The building blocks the networks share (the face models, the subject classifier): convolutions made from the converted weights (a layer's
//! `.weight` and `.bias`, as `models/fetch.py` names them), each with its activation fused in, run the fastest
//! way for its shape as a candle custom op. candle's grouped convolution runs one convolution per group, which made
//! a depthwise layer of YuNet cost as much as the whole network in OpenCV; its direct convolution made the stems a
//! sixth of the face stage; and every separate bias, ReLU or PReLU was one more pass and one more map. So a 1×1
//! convolution is one matrix product, a depthwise one a loop over its taps (`depthwise.rs`), any other (the
//! stems) a matrix product over the unrolled patches (im2col), each followed by one pass that adds the bias and
//! applies the activation. Networks trained in TensorFlow (EfficientNet-Lite) pad the "SAME" way: at stride 2 the
//! extra row and column go after the image, not before it.

use std::collections::HashMap;

use candle_core::{CpuStorage, CustomOp1, Layout, Module, Result, Shape, Tensor};

mod activation;
mod depthwise;

pub use activation::Activation;

/// The tensors of one safetensors file, by name.
pub struct Weights(pub HashMap<String, Tensor>);

impl Weights {
    pub fn get(&self, name: &str) -> Result<&Tensor> {
        self.0.get(name).ok_or_else(|| candle_core::Error::Msg(format!("the model has no tensor {name}")))
    }

    /// The convolution `layer`, square, with "same" padding, followed by `activation`. A 3×3 weight with one
    /// input channel per filter is depthwise (the networks have no other grouped layer; the op checks the
    /// channel count).
    pub fn conv(&self, layer: &str, stride: usize, activation: Activation) -> Result<Conv> {
        self.conv_padded(layer, stride, activation, Padding::Centred)
    }

    /// The convolution `layer` padded as TensorFlow's "SAME" does, followed by `activation`.
    pub fn conv_same(&self, layer: &str, stride: usize, activation: Activation) -> Result<Conv> {
        self.conv_padded(layer, stride, activation, Padding::Same)
    }

    fn conv_padded(&self, layer: &str, stride: usize, activation: Activation, padding: Padding) -> Result<Conv> {
        let weight = self.get(&format!("{layer}.weight"))?;
        let bias: Vec<f32> = self.get(&format!("{layer}.bias"))?.to_vec1()?;
        let (out_channels, per_group, kernel, _) = weight.dims4()?;
        if let Activation::PRelu(slopes) = &activation {
            if slopes.len() != out_channels {
                candle_core::bail!("{layer}: {} PReLU slopes for {out_channels} channels", slopes.len());
            }
        }
        if bias.len() != out_channels || stride == 0 {
            candle_core::bail!("{layer}: {} biases for {out_channels} channels, stride {stride}", bias.len());
        }
        let weight: Vec<f32> = weight.flatten_all()?.to_vec1()?;
        let kind = match (kernel, per_group) {
            (1, _) if stride == 1 => Kind::Pointwise,
            (_, 1) if out_channels > 1 => Kind::Depthwise { kernel, stride },
            _ => Kind::Unrolled { kernel, stride },
        };
        Ok(Conv { weight, bias, activation, kind, padding })
    }
}

/// Where the zeros around an image go.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Padding {
    /// kernel / 2 on each side (PyTorch's and OpenCV's networks).
    Centred,
    /// TensorFlow's "SAME": ⌈n / stride⌉ outputs, the padding they need split with the odd one after the image.
    Same,
}

impl Padding {
    /// The zeros before the image along a side of `n`, and the outputs along it.
    fn of(self, n: usize, kernel: usize, stride: usize) -> (usize, usize) {
        match self {
            Padding::Centred => (kernel / 2, (n + 2 * (kernel / 2)).saturating_sub(kernel) / stride + 1),
            Padding::Same => {
                let out = n.div_ceil(stride);
                ((((out - 1) * stride + kernel).saturating_sub(n)) / 2, out)
            }
        }
    }
}

/// How a convolution runs, by its shape.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// 1×1, stride 1: weight [out, in] times each image seen as [in, height·width].
    Pointwise,
    /// One filter per channel (k·k taps a channel, row by row): a loop over the taps.
    Depthwise { kernel: usize, stride: usize },
    /// Any other (square kernel, padding kernel / 2): the patches unrolled into a [in·k·k, positions] matrix
    /// (im2col), then one matrix product with the weight [out, in·k·k].
    Unrolled { kernel: usize, stride: usize },
}

/// A convolution layer with its activation, run as one candle custom op.
pub struct Conv {
    weight: Vec<f32>,
    bias: Vec<f32>,
    activation: Activation,
    kind: Kind,
    padding: Padding,
}

impl Module for Conv {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.contiguous()?.apply_op1_no_bwd(self)
    }
}

impl CustomOp1 for Conv {
    fn name(&self) -> &'static str {
        "conv"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (input, dims) = input(storage, layout, "conv")?;
        let (out, shape) = match self.kind {
            Kind::Pointwise => self.pointwise(input, dims)?,
            Kind::Depthwise { kernel, stride } => self.depthwise(input, dims, kernel, stride)?,
            Kind::Unrolled { kernel, stride } => self.unrolled(input, dims, kernel, stride)?,
        };
        Ok((CpuStorage::F32(out), shape))
    }
}

/// The input of a custom op: its values, contiguous, and its N×C×H×W dimensions.
fn input<'a>(storage: &'a CpuStorage, layout: &Layout, op: &'static str) -> Result<(&'a [f32], [usize; 4])> {
    let (start, end) = layout.contiguous_offsets().ok_or(candle_core::Error::RequiresContiguous { op })?;
    let (n, c, h, w) = layout.shape().dims4()?;
    Ok((&storage.as_slice::<f32>()?[start..end], [n, c, h, w]))
}

/// Appends weight · input to `out`, with the bias and the activation: `weight` is channels × k, `input` k ×
/// columns, the result channels × columns, all row-major. One matrix product, on this thread (a worker has one
/// core).
fn product(conv: &Conv, input: &[f32], columns: usize, out: &mut Vec<f32>) {
    let (start, rows) = (out.len(), conv.bias.len());
    crate::ffi::append_matrix_product(&conv.weight, input, out, rows, conv.weight.len() / rows, columns);
    for (channel, plane) in out[start..].chunks_exact_mut(columns).enumerate() {
        conv.activation.finish(channel, conv.bias[channel], plane);
    }
}

impl Conv {
    fn pointwise(&self, input: &[f32], [n, c, h, w]: [usize; 4]) -> Result<(Vec<f32>, Shape)> {
        let out_channels = self.bias.len();
        if c * out_channels != self.weight.len() {
            candle_core::bail!("pointwise: {c} channels in for a {}-value weight", self.weight.len());
        }
        let mut out = Vec::with_capacity(n * out_channels * h * w);
        for image in input.chunks_exact(c * h * w) {
            product(self, image, h * w, &mut out);
        }
        Ok((out, Shape::from((n, out_channels, h, w))))
    }

    fn unrolled(&self, input: &[f32], [n, c, h, w]: [usize; 4], k: usize, s: usize) -> Result<(Vec<f32>, Shape)> {
        let out_channels = self.bias.len();
        if c * k * k * out_channels != self.weight.len() {
            candle_core::bail!("conv: {c} channels in for a {}-value {k}×{k} weight", self.weight.len());
        }
        if h + 2 * (k / 2) < k || w + 2 * (k / 2) < k {
            candle_core::bail!("conv: a {h}×{w} input is smaller than its {k}×{k} kernel");
        }
        let ((pad_y, oh), (pad_x, ow)) = (self.padding.of(h, k, s), self.padding.of(w, k, s));
        let mut patches = vec![0f32; c * k * k * oh * ow];
        let mut out = Vec::with_capacity(n * out_channels * oh * ow);
        for image in input.chunks_exact(c * h * w) {
            // Row (channel, ky, kx) of the patches holds that tap for every output position, zero outside.
            for (row, patch_row) in patches.chunks_exact_mut(oh * ow).enumerate() {
                let (channel, ky, kx) = (row / (k * k), row / k % k, row % k);
                let plane = &image[channel * h * w..][..h * w];
                for (oy, line) in patch_row.chunks_exact_mut(ow).enumerate() {
                    let Some(iy) = (oy * s + ky).checked_sub(pad_y).filter(|&iy| iy < h) else {
                        line.fill(0.0);
                        continue;
                    };
                    // Output column ox reads input column ox·s + kx − pad: zeros before the first in the
                    // image and after the last.
                    let source = &plane[iy * w..][..w];
                    let first = (pad_x.saturating_sub(kx)).div_ceil(s).min(ow);
                    let from = source.get((first * s + kx).saturating_sub(pad_x)..).unwrap_or(&[]);
                    let filled = first + from.len().div_ceil(s).min(ow - first);
                    strided_copy(&mut line[first..filled], from, s);
                    line[..first].fill(0.0);
                    line[filled..].fill(0.0);
                }
            }
            product(self, &patches, oh * ow, &mut out);
        }
        Ok((out, Shape::from((n, out_channels, oh, ow))))
    }
}

/// dst[i] = src[i·s] for every i: the columns a stride picks from a line, which holds at least (n − 1)·s + 1.
fn strided_copy(dst: &mut [f32], src: &[f32], s: usize) {
    let Some(last) = dst.len().checked_sub(1) else { return };
    let src = &src[..last * s + 1];
    match s {
        1 => dst.copy_from_slice(src),
        // As whole pairs, which the compiler turns into vector shuffles (a step_by loop stayed scalar).
        2 => {
            for (value, pair) in dst.iter_mut().zip(src.chunks_exact(2)) {
                *value = pair[0];
            }
            dst[last] = src[last * 2];
        }
        _ => dst.iter_mut().zip(src.iter().step_by(s)).for_each(|(value, x)| *value = *x),
    }
}

/// A 2×2 max pool with stride 2, over N×C×H×W with even sides (YuNet's inputs are padded to a multiple of 32).
pub struct MaxPool2;

impl CustomOp1 for MaxPool2 {
    fn name(&self) -> &'static str {
        "maxpool2"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (input, [n, c, h, w]) = input(storage, layout, "maxpool2")?;
        let mut out = Vec::with_capacity(n * c * (h / 2) * (w / 2));
        for plane in input.chunks_exact(h * w) {
            for pair in plane.chunks_exact(2 * w).take(h / 2) {
                let (upper, lower) = pair.split_at(w);
                let pooled = upper.chunks_exact(2).zip(lower.chunks_exact(2));
                out.extend(pooled.map(|(a, b)| a[0].max(a[1]).max(b[0].max(b[1]))));
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, c, h / 2, w / 2))))
    }
}

/// A 2×2 max pool with stride 2.
pub fn max_pool2(x: &Tensor) -> Result<Tensor> {
    x.contiguous()?.apply_op1_no_bwd(&MaxPool2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;
    use candle_nn::{Conv2d, Conv2dConfig};

    #[test]
    fn prelu_keeps_what_is_positive_and_scales_the_rest_by_its_channels_slope() {
        let prelu = Activation::PRelu(vec![0.5, -1.0]);
        let mut first = [1f32, -2.0];
        let mut second = [-4f32, 0.5];
        prelu.finish(0, 0.0, &mut first);
        prelu.finish(1, 1.0, &mut second);
        assert_eq!((first, second), ([1.0, -1.0], [3.0, 1.5]));
    }

    /// One layer of random weights, by the fast path `Weights::conv` picks for it and by candle's own
    /// convolution followed by the same activation: the two agree.
    fn agrees_with_candle(x: &Tensor, weight: Tensor, groups: usize, stride: usize, activation: Activation) {
        let (out_channels, _, kernel, _) = weight.dims4().unwrap();
        let bias = Tensor::randn(0f32, 1.0, out_channels, x.device()).unwrap();
        let tensors = HashMap::from([("l.weight".to_string(), weight.clone()), ("l.bias".to_string(), bias.clone())]);
        let fast = Weights(tensors).conv("l", stride, activation.clone()).unwrap();
        let config = Conv2dConfig { padding: kernel / 2, stride, groups, ..Default::default() };
        let plain = Conv2d::new(weight, Some(bias), config).forward(x).unwrap();
        let reference = match &activation {
            Activation::Linear => plain,
            Activation::Relu => plain.relu().unwrap(),
            Activation::Relu6 => plain.clamp(0f32, 6f32).unwrap(),
            Activation::PRelu(slopes) => {
                let slopes =
                    Tensor::new(slopes.as_slice(), x.device()).unwrap().reshape((1, out_channels, 1, 1)).unwrap();
                (plain.relu().unwrap() - plain.neg().unwrap().relu().unwrap().broadcast_mul(&slopes).unwrap()).unwrap()
            }
        };
        let got = fast.forward(x).unwrap();
        assert_eq!(got.dims(), reference.dims());
        let diff = (got - reference).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(diff < 1e-4, "{:?} kernel {kernel} stride {stride} {activation:?}: off by {diff}", x.dims());
    }

    /// The 1×1 product, the depthwise loop and the unrolled convolution give what candle's own convolution
    /// gives, with each activation, at both strides, on odd and even sizes and batches of more than one.
    #[test]
    fn the_fast_convolutions_equal_candles_own() {
        let device = Device::Cpu;
        let random = |shape: (usize, usize, usize, usize)| Tensor::randn(0f32, 1.0, shape, &device).unwrap();
        let activations =
            [Activation::Linear, Activation::Relu, Activation::Relu6, Activation::PRelu(vec![0.25, -0.5, 0.0, 2.0])];
        for (h, w, stride) in [(7, 9, 1), (8, 8, 2), (9, 6, 2), (5, 1, 1), (1, 4, 2)] {
            let x = random((2, 4, h, w));
            for activation in &activations {
                agrees_with_candle(&x, random((4, 1, 3, 3)), 4, stride, activation.clone());
                agrees_with_candle(&x, random((4, 4, 3, 3)), 1, stride, activation.clone());
            }
        }
        let x = random((3, 5, 4, 6));
        for activation in activations {
            agrees_with_candle(&x, random((4, 5, 1, 1)), 1, 1, activation);
        }
    }

    /// TensorFlow's "SAME" padding: candle's convolution over the input padded by hand (the odd zero after the
    /// image), against the unrolled convolution and the general depthwise loop, for 3×3 and 5×5 kernels.
    #[test]
    fn same_padding_puts_the_odd_zero_after_the_image() {
        let device = Device::Cpu;
        let random = |shape: (usize, usize, usize, usize)| Tensor::randn(0f32, 1.0, shape, &device).unwrap();
        for (h, w, kernel, stride) in
            [(8, 8, 3, 2), (9, 7, 3, 2), (8, 6, 5, 2), (7, 7, 5, 1), (6, 9, 3, 1), (3, 2, 5, 2)]
        {
            let x = random((2, 4, h, w));
            for groups in [1, 4] {
                let weight = random((4, 4 / groups, kernel, kernel));
                let bias = Tensor::randn(0f32, 1.0, 4, &device).unwrap();
                let tensors =
                    HashMap::from([("l.weight".to_string(), weight.clone()), ("l.bias".to_string(), bias.clone())]);
                let fast = Weights(tensors).conv_same("l", stride, Activation::Relu6).unwrap().forward(&x).unwrap();
                let ((top, oh), (left, ow)) =
                    (Padding::Same.of(h, kernel, stride), Padding::Same.of(w, kernel, stride));
                let bottom = ((oh - 1) * stride + kernel).saturating_sub(h + top);
                let right = ((ow - 1) * stride + kernel).saturating_sub(w + left);
                let padded = x.pad_with_zeros(2, top, bottom).unwrap().pad_with_zeros(3, left, right).unwrap();
                let config = Conv2dConfig { padding: 0, stride, groups, ..Default::default() };
                let plain = Conv2d::new(weight, Some(bias), config).forward(&padded).unwrap();
                let reference = plain.clamp(0f32, 6f32).unwrap();
                assert_eq!(fast.dims(), reference.dims(), "{h}×{w} kernel {kernel} stride {stride}");
                let diff = (fast - reference).unwrap().abs().unwrap().max_all().unwrap().to_scalar::<f32>().unwrap();
                assert!(diff < 1e-4, "{h}×{w} kernel {kernel} stride {stride} groups {groups}: off by {diff}");
            }
        }
    }

    #[test]
    fn the_max_pool_equals_candles_own() {
        for (h, w) in [(4, 6), (5, 7), (2, 2)] {
            let x = Tensor::randn(0f32, 1.0, (2, 3, h, w), &Device::Cpu).unwrap();
            let ours = max_pool2(&x).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let candles = x.max_pool2d(2).unwrap().flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert_eq!(ours, candles, "{h}×{w}");
        }
    }
}
