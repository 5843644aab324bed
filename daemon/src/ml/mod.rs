//! Machine learning on the CPU with candle: the face models (YuNet finds faces and their landmarks, SFace turns
//! an aligned face into a 128-D vector) and the subject classifier (EfficientNet-Lite0, `subjects`), loaded from
//! the weights `models/fetch.py` converts, with the pre- and post-processing around them. It runs inside a `photosd worker`: the pixels are untrusted, and the memory the
//! models take goes back to the system when that process exits.

pub mod align;
pub mod concepts;
pub mod efficientnet;
mod layers;
pub mod sface;
pub mod subjects;
pub mod text;
pub mod yunet;

use std::fs::File;
use std::path::Path;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::media::thumb::Pixels;
use layers::Weights;

/// The longest side of the image YuNet looks at: it finds faces of 10–300 px best.
pub const DETECT_SIDE: u32 = 640;
/// The lowest detection score kept (√(class · objectness)).
pub const MIN_SCORE: f32 = 0.6;
/// Two detections overlapping more than this (intersection over union) are one face.
pub const MAX_OVERLAP: f32 = 0.3;
/// At most this many faces of one image are kept, the best first: a crowd photo keeps its 100 clearest faces, and
/// a hostile pattern of thousands of "faces" costs no more.
pub const MAX_FACES: usize = 100;
/// Faces are embedded this many at a time, so that memory stays bounded whatever their number.
const EMBED_BATCH: usize = 8;

/// One face in an image, in that image's pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Face {
    /// x, y, width, height.
    pub bbox: [f32; 4],
    /// Right eye, left eye, nose tip, right and left mouth corners (the subject's right: the image's left).
    pub landmarks: [[f32; 2]; 5],
    pub score: f32,
    /// The L2-normalised SFace embedding, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<Vec<f32>>,
}

/// The faces of one image, in the pixels of the image they were found in (`width` × `height`: the upright image
/// at the size asked for), so that a caller can make them relative to the photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacesFound {
    pub width: u32,
    pub height: u32,
    pub faces: Vec<Face>,
}

/// Both networks, loaded.
pub struct FaceModels {
    detector: yunet::YuNet,
    embedder: sface::SFace,
}

/// The model files, opened by the daemon and handed to the worker as descriptors (a worker opens no path).
pub struct ModelFiles {
    yunet: File,
    sface: File,
}

impl ModelFiles {
    pub const YUNET: &str = "yunet.safetensors";
    pub const SFACE: &str = "sface.safetensors";

    /// Opens the models in `dir` (see `Config::models_dir`).
    pub fn open(dir: &Path) -> anyhow::Result<ModelFiles> {
        let open = |name: &str| {
            let path = dir.join(name);
            File::open(&path).map_err(|e| {
                anyhow::anyhow!("cannot open the face model {}: {e} (models/fetch.py makes it)", path.display())
            })
        };
        Ok(ModelFiles { yunet: open(Self::YUNET)?, sface: open(Self::SFACE)? })
    }

    pub fn descriptors(&self) -> [std::os::fd::RawFd; 2] {
        use std::os::fd::AsRawFd;
        [self.yunet.as_raw_fd(), self.sface.as_raw_fd()]
    }
}

impl FaceModels {
    /// Loads both networks from their files.
    pub fn from_files(yunet: File, sface: File) -> anyhow::Result<FaceModels> {
        Ok(FaceModels {
            detector: yunet::YuNet::load(&read_weights(&yunet, ModelFiles::YUNET)?)?,
            embedder: sface::SFace::load(&read_weights(&sface, ModelFiles::SFACE)?)?,
        })
    }

    /// The faces in an upright RGB image, best first (at most `MAX_FACES`), with their embeddings when `embed`.
    pub fn faces(&self, image: &Pixels, embed: bool) -> anyhow::Result<FacesFound> {
        let mut faces = self.detect(image)?;
        if embed && !faces.is_empty() {
            let vectors = self.embed(image, &faces)?;
            for (face, vector) in faces.iter_mut().zip(vectors) {
                face.embedding = Some(vector);
            }
        }
        Ok(FacesFound { width: image.width, height: image.height, faces })
    }

    /// Detection on the image brought down to `DETECT_SIDE`, zero-padded to a multiple of 32 on the right and at
    /// the bottom (as OpenCV's `FaceDetectorYN` pads), then mapped back to the image's pixels.
    pub fn detect(&self, image: &Pixels) -> anyhow::Result<Vec<Face>> {
        let small = image.clone().fit_long_side(DETECT_SIDE).map_err(anyhow::Error::msg)?;
        anyhow::ensure!(small.width > 0 && small.height > 0, "an empty image");
        let input = bgr_input(&small, 32)?;
        let (_, _, _, width) = input.dims4()?;
        let maps = self.detector.forward(&input)?;
        let mut faces = yunet::suppress(yunet::decode(&maps, width, MIN_SCORE)?, MAX_OVERLAP);
        faces.truncate(MAX_FACES);
        let (sx, sy) = (image.width as f32 / small.width as f32, image.height as f32 / small.height as f32);
        Ok(faces
            .into_iter()
            .map(|mut f| {
                f.bbox = [f.bbox[0] * sx, f.bbox[1] * sy, f.bbox[2] * sx, f.bbox[3] * sy];
                f.landmarks = f.landmarks.map(|[x, y]| [x * sx, y * sy]);
                f
            })
            .collect())
    }

    /// The normalised embeddings of faces of `image`, aligned by their landmarks, a few at a time.
    pub fn embed(&self, image: &Pixels, faces: &[Face]) -> anyhow::Result<Vec<Vec<f32>>> {
        let mut vectors = Vec::with_capacity(faces.len());
        for batch in faces.chunks(EMBED_BATCH) {
            let crops: Vec<Vec<u8>> = batch.iter().map(|f| align::crop(image, &f.landmarks)).collect();
            vectors.extend(self.embed_crops(&crops)?.into_iter().map(sface::normalised));
        }
        Ok(vectors)
    }

    /// The raw SFace outputs for aligned 112×112 RGB crops.
    pub fn embed_crops(&self, crops: &[Vec<u8>]) -> anyhow::Result<Vec<Vec<f32>>> {
        let side = sface::SIDE;
        let mut planar = vec![0f32; crops.len() * 3 * side * side];
        for (n, crop) in crops.iter().enumerate() {
            for (k, pixel) in crop.chunks_exact(3).enumerate() {
                for c in 0..3 {
                    planar[(n * 3 + c) * side * side + k] = f32::from(pixel[c]);
                }
            }
        }
        let batch = Tensor::from_vec(planar, (crops.len(), 3, side, side), &Device::Cpu)?;
        Ok(self.embedder.forward(&batch)?.to_vec2::<f32>()?)
    }

    /// An image that is already one aligned face (112×112), embedded as it is: for checking the embedder
    /// against a reference on the very same pixels.
    pub fn aligned_face(&self, image: &Pixels) -> anyhow::Result<Face> {
        let side = sface::SIDE as u32;
        anyhow::ensure!(image.width == side && image.height == side, "an aligned face is {side}×{side} pixels");
        let vector = self.embed_crops(std::slice::from_ref(&image.data))?.remove(0);
        Ok(Face {
            bbox: [0.0, 0.0, side as f32, side as f32],
            landmarks: align::TEMPLATE,
            score: 1.0,
            embedding: Some(sface::normalised(vector)),
        })
    }
}

/// The tensors of a model file. It is read from offset 0 without moving the file's position, which the daemon's
/// descriptor shares with every worker it was sent to.
fn read_weights(file: &File, name: &str) -> anyhow::Result<Weights> {
    use std::os::unix::fs::FileExt;
    let mut bytes = vec![0u8; file.metadata()?.len() as usize];
    file.read_exact_at(&mut bytes, 0)?;
    let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu)
        .map_err(|e| anyhow::anyhow!("cannot load the model {name}: {e}"))?;
    Ok(Weights(tensors))
}

/// The network input for an RGB image: 1×3×H×W, BGR, 0–255, zero-padded so both sides are multiples of `multiple`.
pub fn bgr_input(image: &Pixels, multiple: usize) -> anyhow::Result<Tensor> {
    anyhow::ensure!(image.channels == 3, "an RGB image is needed, not {} channels", image.channels);
    let (w, h) = (image.width as usize, image.height as usize);
    let (pw, ph) = (w.div_ceil(multiple) * multiple, h.div_ceil(multiple) * multiple);
    let mut planar = vec![0f32; 3 * pw * ph];
    for y in 0..h {
        for x in 0..w {
            let p = &image.data[(y * w + x) * 3..][..3];
            for (c, value) in [p[2], p[1], p[0]].into_iter().enumerate() {
                planar[(c * ph + y) * pw + x] = f32::from(value);
            }
        }
    }
    Ok(Tensor::from_vec(planar, (1, 3, ph, pw), &Device::Cpu)?)
}
