//! Face alignment: the similarity transform (rotation, uniform scale, shift) that best maps a face's five
//! landmarks onto the ArcFace template, in the least-squares sense (Umeyama's estimate, which OpenCV's
//! `FaceRecognizerSF::alignCrop` uses too), and the 112×112 crop it gives, sampled bilinearly.

use super::sface::SIDE;
use crate::media::thumb::Pixels as Rgb;

/// Where the eyes, the nose and the mouth corners of a face sit in a 112×112 aligned crop (right eye first, as
/// YuNet gives them).
pub const TEMPLATE: [[f32; 2]; 5] =
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]];

/// dst = [[a, −b], [b, a]] · src + [tx, ty].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    pub a: f32,
    pub b: f32,
    pub tx: f32,
    pub ty: f32,
}

impl Similarity {
    /// The least-squares similarity from `from` onto `to`. In 2-D it has a closed form: with both point sets
    /// centred, a = Σ p·q / Σ |p|² and b = Σ p×q / Σ |p|².
    pub fn estimate(from: &[[f32; 2]; 5], to: &[[f32; 2]; 5]) -> Similarity {
        let mean = |points: &[[f32; 2]; 5]| {
            let (x, y) = points.iter().fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
            (x / 5.0, y / 5.0)
        };
        let ((fx, fy), (tx, ty)) = (mean(from), mean(to));
        let (mut dot, mut cross, mut norm) = (0.0f32, 0.0f32, 0.0f32);
        for (p, q) in from.iter().zip(to) {
            let (px, py, qx, qy) = (p[0] - fx, p[1] - fy, q[0] - tx, q[1] - ty);
            dot += px * qx + py * qy;
            cross += px * qy - py * qx;
            norm += px * px + py * py;
        }
        if norm == 0.0 {
            return Similarity { a: 1.0, b: 0.0, tx: tx - fx, ty: ty - fy };
        }
        let (a, b) = (dot / norm, cross / norm);
        Similarity { a, b, tx: tx - (a * fx - b * fy), ty: ty - (b * fx + a * fy) }
    }

    pub fn apply(&self, [x, y]: [f32; 2]) -> [f32; 2] {
        [self.a * x - self.b * y + self.tx, self.b * x + self.a * y + self.ty]
    }

    /// The transform that undoes this one.
    pub fn inverse(&self) -> Similarity {
        let d = self.a * self.a + self.b * self.b;
        let (a, b) = (self.a / d, -self.b / d);
        Similarity { a, b, tx: -(a * self.tx - b * self.ty), ty: -(b * self.tx + a * self.ty) }
    }
}

/// The aligned 112×112 RGB crop of the face whose landmarks are `landmarks` in `image`. Outside the image is
/// black, as OpenCV's `warpAffine` leaves it.
pub fn crop(image: &Rgb, landmarks: &[[f32; 2]; 5]) -> Vec<u8> {
    let back = Similarity::estimate(landmarks, &TEMPLATE).inverse();
    let (w, h) = (image.width as i64, image.height as i64);
    let pixel = |x: i64, y: i64, c: usize| -> f32 {
        if x < 0 || y < 0 || x >= w || y >= h {
            0.0
        } else {
            f32::from(image.data[((y * w + x) * 3) as usize + c])
        }
    };
    let mut out = vec![0u8; SIDE * SIDE * 3];
    for v in 0..SIDE {
        for u in 0..SIDE {
            let [sx, sy] = back.apply([u as f32, v as f32]);
            // Far outside is black; the clamp keeps the arithmetic below in range (a NaN, from landmarks that
            // coincide, casts to 0 and samples black too).
            let (sx, sy) = (sx.clamp(-2.0, w as f32 + 1.0), sy.clamp(-2.0, h as f32 + 1.0));
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            for c in 0..3 {
                let top = pixel(x0, y0, c) * (1.0 - fx) + pixel(x0 + 1, y0, c) * fx;
                let bottom = pixel(x0, y0 + 1, c) * (1.0 - fx) + pixel(x0 + 1, y0 + 1, c) * fx;
                out[(v * SIDE + u) * 3 + c] = (top * (1.0 - fy) + bottom * fy + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_face_turned_scaled_and_moved_is_brought_back_onto_the_template() {
        // The template turned by 30°, doubled, and moved: the estimate undoes exactly that.
        let (angle, scale) = (30f32.to_radians(), 2.0f32);
        let moved = TEMPLATE.map(|[x, y]| {
            [scale * (angle.cos() * x - angle.sin() * y) + 300.0, scale * (angle.sin() * x + angle.cos() * y) + 40.0]
        });
        let t = Similarity::estimate(&moved, &TEMPLATE);
        for (p, q) in moved.iter().zip(&TEMPLATE) {
            let [x, y] = t.apply(*p);
            assert!((x - q[0]).abs() < 1e-3 && (y - q[1]).abs() < 1e-3, "{:?} → {:?}, not {:?}", p, [x, y], q);
        }
        let [x, y] = t.inverse().apply(t.apply([10.0, 20.0]));
        assert!((x - 10.0).abs() < 1e-3 && (y - 20.0).abs() < 1e-3);
        assert!((t.a.hypot(t.b) - 0.5).abs() < 1e-5, "the scale is undone");
    }
}
