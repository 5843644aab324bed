//! What follows a convolution: the bias and the activation, added in one vector pass over each channel's plane
//! once the convolution has summed it.

use multiversion::multiversion;

/// What follows a convolution.
#[derive(Debug, Clone, PartialEq)]
pub enum Activation {
    Linear,
    Relu,
    /// min(max(x, 0), 6), as the mobile networks trained in TensorFlow use.
    Relu6,
    /// The ONNX PReLU with one slope per channel: x where x > 0, slope · x elsewhere.
    PRelu(Vec<f32>),
}

impl Activation {
    /// bias + x, then the activation, in place over one channel's plane.
    pub(super) fn finish(&self, channel: usize, bias: f32, plane: &mut [f32]) {
        let slope = match self {
            Activation::PRelu(slopes) => slopes[channel],
            _ => 1.0,
        };
        finish_plane(self.kind(), bias, slope, plane);
    }
}

/// The activation's kind without its slopes, for the vector loop.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum ActivationKind {
    Linear,
    Relu,
    Relu6,
    PRelu,
}

impl Activation {
    pub(super) fn kind(&self) -> ActivationKind {
        match self {
            Activation::Linear => ActivationKind::Linear,
            Activation::Relu => ActivationKind::Relu,
            Activation::Relu6 => ActivationKind::Relu6,
            Activation::PRelu(_) => ActivationKind::PRelu,
        }
    }
}

/// plane[i] = activation(plane[i] + bias), where PReLU scales what is not positive by `slope`.
#[multiversion(targets = "simd")]
pub(super) fn finish_plane(kind: ActivationKind, bias: f32, slope: f32, plane: &mut [f32]) {
    match kind {
        ActivationKind::Linear => plane.iter_mut().for_each(|v| *v += bias),
        ActivationKind::Relu => plane.iter_mut().for_each(|v| *v = (*v + bias).max(0.0)),
        ActivationKind::Relu6 => plane.iter_mut().for_each(|v| *v = (*v + bias).clamp(0.0, 6.0)),
        ActivationKind::PRelu => plane.iter_mut().for_each(|v| {
            let x = *v + bias;
            *v = if x > 0.0 { x } else { x * slope }
        }),
    }
}
