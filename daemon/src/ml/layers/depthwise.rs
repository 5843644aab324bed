//! The depthwise convolutions (one filter per channel), of any kernel, stride and padding: each plane is copied
//! once with its padding and dealt into stride phases, so that every tap is one contiguous multiply-add over the
//! whole map, run with the widest vector instructions the CPU has.

use candle_core::{Result, Shape};
use multiversion::multiversion;

use super::Conv;

/// Outputs summed at a time, in registers: eight AVX-512 vectors, sixteen AVX2 ones.
const LANES: usize = 128;

/// Where one plane's taps read: the kernel side, the stride, and the padded plane's geometry.
#[derive(Clone, Copy)]
struct Geometry {
    k: usize,
    s: usize,
    /// The input plane.
    h: usize,
    w: usize,
    /// Zeros before the image, along y and x.
    pad_y: usize,
    pad_x: usize,
    /// Rows and row width of each phase; outputs are summed at the phases' width and the extra columns dropped.
    rows: usize,
    width: usize,
}

impl Geometry {
    /// One phase's length, with a spare row for the last taps' reads past the end.
    fn phase_len(&self) -> usize {
        self.rows * self.width + self.width
    }
}

impl Conv {
    pub(super) fn depthwise(
        &self,
        input: &[f32],
        [n, c, h, w]: [usize; 4],
        k: usize,
        s: usize,
    ) -> Result<(Vec<f32>, Shape)> {
        if c != self.bias.len() || self.weight.len() != c * k * k {
            candle_core::bail!("depthwise {k}×{k}: {c} channels for {} filters", self.bias.len());
        }
        if h == 0 || w == 0 {
            candle_core::bail!("depthwise {k}×{k}: an empty {h}×{w} input");
        }
        let ((pad_y, oh), (pad_x, ow)) = (self.padding.of(h, k, s), self.padding.of(w, k, s));
        let (rows, width) = (oh + (k - 1) / s, ow + (k - 1) / s);
        let g = Geometry { k, s, h, w, pad_y, pad_x, rows, width };
        // Phase (qy, qx) holds the padded rows qy, qy + s, ... and columns qx, qx + s, ...: tap (ky, kx) reads,
        // for every output, phase (ky mod s, kx mod s) from row ky / s and column kx / s on. A map 7 wide would
        // otherwise leave every tap to scalar code.
        let mut phases = vec![0f32; s * s * g.phase_len() + LANES];
        let mut sums = vec![0f32; (oh * width).next_multiple_of(LANES)];
        let mut out = Vec::with_capacity(n * c * oh * ow);
        for (plane, input) in input.chunks_exact(h * w).enumerate() {
            let channel = plane % c;
            deal_into_phases(input, &g, &mut phases);
            let taps = &self.weight[channel * k * k..][..k * k];
            sum_taps(&phases, taps, &g, &mut sums);
            let start = out.len();
            for sum in sums.chunks_exact(width).take(oh) {
                out.extend_from_slice(&sum[..ow]);
            }
            self.activation.finish(channel, self.bias[channel], &mut out[start..]);
        }
        Ok((out, Shape::from((n, c, oh, ow))))
    }
}

/// Copies a plane with its zeros into the stride phases.
fn deal_into_phases(input: &[f32], g: &Geometry, phases: &mut [f32]) {
    let s = g.s;
    for (q, phase) in phases.chunks_exact_mut(g.phase_len()).take(s * s).enumerate() {
        let (qy, qx) = (q / s, q % s);
        // Phase column i reads image column i·s + qx − pad_x: the first and last inside the image.
        let first = g.pad_x.saturating_sub(qx).div_ceil(s).min(g.width);
        let end = ((g.w + g.pad_x).saturating_sub(qx).div_ceil(s)).clamp(first, g.width);
        for (j, dst) in phase.chunks_exact_mut(g.width).enumerate() {
            let Some(iy) = (j * s + qy).checked_sub(g.pad_y).filter(|&iy| j < g.rows && iy < g.h) else {
                dst.fill(0.0);
                continue;
            };
            let line = &input[iy * g.w..][..g.w];
            dst[..first].fill(0.0);
            dst[end..].fill(0.0);
            if first == end {
                continue;
            }
            super::strided_copy(&mut dst[first..end], &line[first * s + qx - g.pad_x..], s);
        }
    }
}

/// sums[y·width + x] = Σ over the taps of tap · phase value, `LANES` outputs at a time: their sums stay in
/// registers over all the taps (a pass of memory per tap made the loop wait on loads and stores), in enough
/// independent vectors that the multiply-adds do not wait on each other. `sums` is a whole number of `LANES` long,
/// `phases` has `LANES` values to spare at its end.
#[multiversion(targets = "simd")]
fn sum_taps(phases: &[f32], taps: &[f32], g: &Geometry, sums: &mut [f32]) {
    use multiversion::target::target_cfg_f;
    let (k, s, phase_len) = (g.k, g.s, g.phase_len());
    let starts: Vec<(usize, f32)> = (0..k * k)
        .map(|t| {
            let (ky, kx) = (t / k, t % k);
            (((ky % s) * s + kx % s) * phase_len + (ky / s) * g.width + kx / s, taps[t])
        })
        .collect();
    for (block, out) in sums.chunks_exact_mut(LANES).enumerate() {
        let mut acc = [0f32; LANES];
        for &(start, tap) in &starts {
            let source: &[f32; LANES] = phases[start + block * LANES..][..LANES].try_into().expect("LANES values");
            if target_cfg_f!(target_feature = "fma") {
                for (sum, x) in acc.iter_mut().zip(source) {
                    *sum = x.mul_add(tap, *sum);
                }
            } else {
                for (sum, x) in acc.iter_mut().zip(source) {
                    *sum += tap * x;
                }
            }
        }
        out.copy_from_slice(&acc);
    }
}
