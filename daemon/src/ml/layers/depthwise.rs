//! The depthwise convolutions (one filter per channel): the 3×3 of the face networks, padded by one, as a
//! direct loop over three input lines; and any other kernel or padding (EfficientNet-Lite's 5×5, TensorFlow's
//! "SAME"), a loop over the taps a row at a time.

use candle_core::{Result, Shape};

use super::{biased, Conv};

impl Conv {
    pub(super) fn depthwise(&self, input: &[f32], [n, c, h, w]: [usize; 4], s: usize) -> Result<(Vec<f32>, Shape)> {
        if c != self.bias.len() {
            candle_core::bail!("depthwise3x3: {c} channels for {} filters", self.bias.len());
        }
        let (oh, ow) = ((h - 1) / s + 1, (w - 1) / s + 1);
        let mut out = biased(n, &self.bias, oh * ow);
        // The padding above and below the image.
        let zeros = vec![0f32; w];
        for (plane, (input, out)) in input.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)).enumerate() {
            let channel = plane % c;
            let k: &[f32; 9] = self.weight[channel * 9..][..9].try_into().expect("9 taps a channel");
            for (oy, row) in out.chunks_exact_mut(ow).enumerate() {
                let line = |ky: usize| match (oy * s + ky).checked_sub(1).filter(|&iy| iy < h) {
                    Some(iy) => &input[iy * w..][..w],
                    None => &zeros[..],
                };
                accumulate_row(row, [line(0), line(1), line(2)], k, s);
            }
            self.activation.apply(channel, out);
        }
        Ok((out, Shape::from((n, c, oh, ow))))
    }

    pub(super) fn depthwise_any(
        &self,
        input: &[f32],
        [n, c, h, w]: [usize; 4],
        k: usize,
        s: usize,
    ) -> Result<(Vec<f32>, Shape)> {
        if c != self.bias.len() || self.weight.len() != c * k * k {
            candle_core::bail!("depthwise {k}×{k}: {c} channels for {} filters", self.bias.len());
        }
        let ((pad_y, oh), (pad_x, ow)) = (self.padding.of(h, k, s), self.padding.of(w, k, s));
        let mut out = biased(n, &self.bias, oh * ow);
        // For each tap column kx, the outputs whose input column ox·s + kx − pad_x is inside the image.
        let columns: Vec<(usize, usize)> = (0..k)
            .map(|kx| {
                let first = pad_x.saturating_sub(kx).div_ceil(s).min(ow);
                let last = if w + pad_x > kx { ((w + pad_x - kx - 1) / s + 1).min(ow) } else { 0 };
                (first, last.max(first))
            })
            .collect();
        for (plane, (input, out)) in input.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)).enumerate() {
            let channel = plane % c;
            let taps = &self.weight[channel * k * k..][..k * k];
            for (oy, row) in out.chunks_exact_mut(ow).enumerate() {
                for ky in 0..k {
                    let Some(iy) = (oy * s + ky).checked_sub(pad_y).filter(|&iy| iy < h) else { continue };
                    let line = &input[iy * w..][..w];
                    for (kx, &(first, last)) in columns.iter().enumerate().filter(|(_, (f, l))| f < l) {
                        let tap = taps[ky * k + kx];
                        let start = first * s + kx - pad_x;
                        let outputs = &mut row[first..last];
                        if s == 1 {
                            // Contiguous on both sides: this loop vectorises.
                            for (value, x) in outputs.iter_mut().zip(&line[start..]) {
                                *value += tap * x;
                            }
                        } else {
                            for (value, x) in outputs.iter_mut().zip(line[start..].iter().step_by(s)) {
                                *value += tap * x;
                            }
                        }
                    }
                }
            }
            self.activation.apply(channel, out);
        }
        Ok((out, Shape::from((n, c, oh, ow))))
    }
}

/// Adds the 3×3 taps over three input lines to an output row: out[x] += Σ k[3·r + j] · lines[r][x·s + j − 1],
/// with zeros left and right of the lines.
fn accumulate_row<'a>(row: &mut [f32], lines: [&'a [f32]; 3], k: &[f32; 9], s: usize) {
    let w = lines[0].len();
    let at = |ox: usize| -> f32 {
        let tap = |line: &[f32], ix: Option<usize>| ix.and_then(|ix| line.get(ix)).copied().unwrap_or(0.0);
        let x = ox * s;
        (0..3)
            .map(|r| {
                let line = lines[r];
                k[3 * r] * tap(line, x.checked_sub(1))
                    + k[3 * r + 1] * tap(line, Some(x))
                    + k[3 * r + 2] * tap(line, Some(x + 1))
            })
            .sum()
    };
    let last = row.len() - 1;
    if s != 1 || last < 2 {
        // Stride 2 (a few small maps of SFace), or a row too short to have an inside.
        for (ox, out) in row.iter_mut().enumerate() {
            *out += at(ox);
        }
        return;
    }
    // The edges, where a tap falls outside the lines; then the inside, in one pass over slices of equal
    // length, without bounds checks in the loop (so that it vectorises).
    row[0] += at(0);
    row[last] += at(last);
    let n = last - 1;
    let inside = &mut row[1..last];
    let cut = |line: &'a [f32]| -> [&'a [f32]; 3] { [&line[..n], &line[1..n + 1], &line[2..n + 2]] };
    let ([a0, a1, a2], [b0, b1, b2], [c0, c1, c2]) = (cut(lines[0]), cut(lines[1]), cut(lines[2]));
    debug_assert_eq!(w, n + 2);
    for i in 0..n {
        inside[i] += k[0] * a0[i]
            + k[1] * a1[i]
            + k[2] * a2[i]
            + k[3] * b0[i]
            + k[4] * b1[i]
            + k[5] * b2[i]
            + k[6] * c0[i]
            + k[7] * c1[i]
            + k[8] * c2[i];
    }
}
