//! The depthwise convolutions (one filter per channel): a 3×3 padded by one, as a direct loop over three input
//! lines; and any other kernel or padding (EfficientNet-Lite's 5×5, TensorFlow's "SAME" at stride 2), over a padded
//! copy of each plane, a tap at a time.

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
        // Each plane is first copied with its padding and dealt into s × s phases (phase (qy, qx) holds the padded
        // rows qy, qy + s... and columns qx, qx + s...), so that a tap (ky, kx) reads, for every output, the phase
        // (ky mod s, kx mod s) from row ky / s and column kx / s on. With the outputs laid out at the phases' row
        // width, a tap is then one long contiguous loop over the whole plane (which vectorises, where a map 7
        // wide left every row to scalar code); the columns past `ow` are computed and dropped.
        let (rows, width) = (oh + (k - 1) / s, ow + (k - 1) / s);
        let phase_len = rows * width + width;
        let mut phases = vec![0f32; s * s * phase_len];
        let mut sums = vec![0f32; oh * width];
        for (plane, (input, out)) in input.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)).enumerate() {
            for (q, phase) in phases.chunks_exact_mut(phase_len).enumerate() {
                let (qy, qx) = (q / s, q % s);
                for (j, dst) in phase.chunks_exact_mut(width).take(rows).enumerate() {
                    let Some(iy) = (j * s + qy).checked_sub(pad_y).filter(|&iy| iy < h) else {
                        dst.fill(0.0);
                        continue;
                    };
                    let line = &input[iy * w..][..w];
                    for (i, value) in dst.iter_mut().enumerate() {
                        *value = (i * s + qx).checked_sub(pad_x).and_then(|x| line.get(x)).copied().unwrap_or(0.0);
                    }
                }
            }
            let channel = plane % c;
            let taps = &self.weight[channel * k * k..][..k * k];
            sums.fill(0.0);
            for ky in 0..k {
                for kx in 0..k {
                    let tap = taps[ky * k + kx];
                    let phase = &phases[((ky % s) * s + kx % s) * phase_len..][..phase_len];
                    let source = &phase[(ky / s) * width + kx / s..][..oh * width];
                    for (sum, x) in sums.iter_mut().zip(source) {
                        *sum += tap * x;
                    }
                }
            }
            for (row, sum) in out.chunks_exact_mut(ow).zip(sums.chunks_exact(width)) {
                for (value, add) in row.iter_mut().zip(sum) {
                    *value += add;
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
