//! The text side of search by subject: all-MiniLM-L6-v2 (a 6-layer BERT, `candle_transformers`, with its WordPiece
//! tokenizer from the `tokenizers` crate) turns a query into a 384-D vector, mean-pooled and L2-normalised as the
//! sentence-transformers model defines it; the query means the subject whose name or other words come nearest.
//! So "seaside" finds the beach and "feline" the cats, though neither word is in the vocabulary. It runs in the
//! daemon, on the text of a search, never on a photo.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::Tokenizer;

use super::concepts::Vocabulary;

/// A query means a subject when it comes at least this near (cosine) to one of the subject's words.
pub const MATCH: f32 = 0.62;
/// The longest query looked at, in tokens: a search box holds a few words.
const MAX_TOKENS: usize = 32;
/// The subjects' words are embedded this many at a time: one pass of the network per batch.
const BATCH: usize = 64;

pub struct TextModel {
    bert: BertModel,
    tokenizer: Tokenizer,
}

/// The files of the text model in the models folder (`models/fetch.py` copies them as they come).
pub const FILES: [&str; 3] = ["minilm.safetensors", "minilm-tokenizer.json", "minilm-config.json"];

impl TextModel {
    pub fn open(dir: &Path) -> anyhow::Result<TextModel> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| {
                anyhow::anyhow!(
                    "cannot read the text model {}: {e} (models/fetch.py makes it)",
                    dir.join(name).display()
                )
            })
        };
        let config: Config = serde_json::from_slice(&read(FILES[2])?)?;
        let weights = VarBuilder::from_buffered_safetensors(read(FILES[0])?, DType::F32, &Device::Cpu)?;
        let bert = BertModel::load(weights, &config)?;
        let mut tokenizer =
            Tokenizer::from_bytes(read(FILES[1])?).map_err(|e| anyhow::anyhow!("the tokenizer: {e}"))?;
        // The file pads every text to 128 tokens (for batches); one query is embedded alone, and its mean must be
        // over its own tokens only.
        tokenizer.with_padding(None);
        Ok(TextModel { bert, tokenizer })
    }

    /// The normalised embedding of a text.
    pub fn embed(&self, text: &str) -> anyhow::Result<Vec<f32>> {
        Ok(self.embed_all(&[text])?.remove(0))
    }

    /// The normalised embeddings of texts, in one pass: each padded to the longest, and pooled over its own tokens
    /// (the mask keeps the padding out of attention and of the mean).
    pub fn embed_all(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        let mut rows = Vec::with_capacity(texts.len());
        for text in texts {
            let encoding = self.tokenizer.encode(*text, true).map_err(|e| anyhow::anyhow!("the tokenizer: {e}"))?;
            let mut ids: Vec<u32> = encoding.get_ids().to_vec();
            if ids.len() > MAX_TOKENS {
                // Keep [CLS] … and the final [SEP].
                let last = *ids.last().unwrap_or(&0);
                ids.truncate(MAX_TOKENS - 1);
                ids.push(last);
            }
            rows.push(ids);
        }
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        let (mut ids, mut mask) = (Vec::with_capacity(rows.len() * width), Vec::with_capacity(rows.len() * width));
        for row in &rows {
            for k in 0..width {
                ids.push(row.get(k).copied().unwrap_or(0));
                mask.push(u32::from(k < row.len()));
            }
        }
        let shape = (rows.len(), width);
        let input = Tensor::from_vec(ids, shape, &Device::Cpu)?;
        let mask = Tensor::from_vec(mask, shape, &Device::Cpu)?;
        let hidden = self.bert.forward(&input, &input.zeros_like()?, Some(&mask))?; // N × width × 384
        let weights = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&weights)?.sum(1)?;
        let pooled = summed.broadcast_div(&weights.sum(1)?)?;
        Ok(pooled.to_vec2::<f32>()?.into_iter().map(normalised).collect())
    }
}

pub fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
    v
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Every subject's words, embedded once: what a query is compared with.
pub struct ConceptIndex {
    /// (concept, embedding of its name, one of its words, or the name of one of its ImageNet classes).
    phrases: Vec<(usize, Vec<f32>)>,
}

impl ConceptIndex {
    /// The subjects' names and words, and the names of their classes ("Labrador retriever", "aircraft carrier"),
    /// so that a query naming a breed or a kind of thing finds its subject.
    pub fn build(model: &TextModel, vocabulary: &Vocabulary) -> anyhow::Result<ConceptIndex> {
        let mut texts: Vec<(usize, &str)> = Vec::new();
        for (index, concept) in vocabulary.concepts.iter().enumerate() {
            let words = concept.words.iter().map(String::as_str);
            let classes = concept.classes.iter().map(|&c| super::concepts::class_name(c));
            texts.extend([concept.name.as_str()].into_iter().chain(words).chain(classes).map(|t| (index, t)));
        }
        let mut phrases = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            let vectors = model.embed_all(&batch.iter().map(|&(_, t)| t).collect::<Vec<_>>())?;
            phrases.extend(batch.iter().map(|&(c, _)| c).zip(vectors));
        }
        Ok(ConceptIndex { phrases })
    }

    /// The subject a query means, with how near it came: the nearest word's, when at least `MATCH`.
    pub fn nearest(&self, query: &[f32]) -> Option<(usize, f32)> {
        let best = self.phrases.iter().map(|(c, v)| (*c, cosine(query, v))).max_by(|a, b| a.1.total_cmp(&b.1))?;
        (best.1 >= MATCH).then_some(best)
    }
}
