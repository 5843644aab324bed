//! The subjects vocabulary (`data/concepts.tsv`, compiled in): which ImageNet classes make which subject, the
//! hierarchy (a beagle is a dog is an animal), the other words search knows each by, and the rule that turns an
//! image's class scores into its subjects. A subject needs a confident score: better none than a wrong one.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::subjects::Classes;

const CONCEPTS: &str = include_str!("data/concepts.tsv");
const CLASS_NAMES: &str = include_str!("data/imagenet-classes.tsv");

/// What a document's page statistics (`PageStats::is_document`) or a screenshot's file count as: a confident
/// subject.
pub const BY_OTHER_MEANS: f32 = 0.6;

/// A subject is given to a photo when its classes (with its children's) score at least this together. Measured on
/// the labelled corpus (`tests/tests/subjects.rs`): lower, and wrong subjects appear; higher, and right ones go.
pub const MIN_SCORE: f32 = 0.4;

/// The version of the code that turns classes into subjects (`Vocabulary::subjects`, `PageStats::is_document`,
/// `is_screenshot`): raise it when that code changes, so that stored subjects are derived again.
const RULES: u32 = 1;

/// What the stored subjects depend on besides the stored classes: the vocabulary file, the thresholds and the
/// rules. A library whose subjects were derived with another gets them again (`jobs::subjects::rederive`).
pub fn fingerprint() -> String {
    let inputs = format!("{CONCEPTS}\n{MIN_SCORE}\n{BY_OTHER_MEANS}\n{RULES}");
    blake3::hash(inputs.as_bytes()).to_hex()[..16].to_string()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Concept {
    pub name: String,
    pub parent: Option<usize>,
    pub classes: Vec<u16>,
    /// Plurals, synonyms and other languages, lower case.
    pub words: Vec<String>,
}

#[derive(Debug)]
pub struct Vocabulary {
    pub concepts: Vec<Concept>,
    /// For each ImageNet class, the concept it belongs to (at most one).
    class_concept: Vec<Option<usize>>,
}

/// The vocabulary compiled into photosd (checked by the unit tests, so it always parses).
pub fn vocabulary() -> &'static Vocabulary {
    static VOCABULARY: OnceLock<Vocabulary> = OnceLock::new();
    VOCABULARY.get_or_init(|| Vocabulary::parse(CONCEPTS).expect("data/concepts.tsv is valid"))
}

/// The English name of an ImageNet class (its first synonym).
pub fn class_name(class: u16) -> &'static str {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        CLASS_NAMES.lines().map(|line| line.split('\t').nth(1).unwrap_or("").split(',').next().unwrap_or("")).collect()
    });
    names.get(class as usize).copied().unwrap_or("")
}

impl Vocabulary {
    pub fn parse(text: &str) -> Result<Vocabulary, String> {
        let mut concepts: Vec<Concept> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut class_concept = vec![None; super::efficientnet::CLASSES];
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty()) {
            let fields: Vec<&str> = line.split('\t').collect();
            let [name, parent, classes, words, ..] = fields[..] else {
                return Err(format!("line {}: name, parent, classes and words are needed", n + 1));
            };
            let index = concepts.len();
            if by_name.insert(name.to_string(), index).is_some() {
                return Err(format!("line {}: {name} twice", n + 1));
            }
            let parent = match parent {
                "" => None,
                parent => Some(*by_name.get(parent).ok_or(format!("line {}: {parent} is not above {name}", n + 1))?),
            };
            let classes = parse_classes(classes).map_err(|e| format!("line {}: {e}", n + 1))?;
            for &class in &classes {
                let slot = class_concept.get_mut(class as usize).ok_or(format!("line {}: no class {class}", n + 1))?;
                // A class a broader subject also lists is the narrower one's ("bird" lists the parrots, "parrot"
                // takes them); any other class belongs to one subject only.
                let broader =
                    |other: usize| std::iter::successors(parent, |&c: &usize| concepts[c].parent).any(|a| a == other);
                match *slot {
                    Some(other) if !broader(other) => {
                        return Err(format!("line {}: class {class} is also {}'s", n + 1, concepts[other].name))
                    }
                    _ => *slot = Some(index),
                }
            }
            let words = words.split(',').map(|w| w.trim().to_lowercase()).filter(|w| !w.is_empty()).collect();
            concepts.push(Concept { name: name.to_string(), parent, classes, words });
        }
        Ok(Vocabulary { concepts, class_concept })
    }

    pub fn names(&self) -> Vec<&str> {
        self.concepts.iter().map(|c| c.name.as_str()).collect()
    }

    /// The concept a search text names: its name or one of its other words, whatever the case ("Dogs", "puppy",
    /// "Hund"), or a plural of them.
    pub fn named(&self, text: &str) -> Option<usize> {
        let text = text.trim().to_lowercase();
        let singular = [text.strip_suffix("es"), text.strip_suffix('s')];
        let candidates = std::iter::once(text.as_str()).chain(singular.into_iter().flatten());
        for candidate in candidates.filter(|c| !c.is_empty()) {
            let found =
                self.concepts.iter().position(|c| c.name == candidate || c.words.iter().any(|w| w == candidate));
            if found.is_some() {
                return found;
            }
        }
        None
    }

    pub fn by_name(&self, name: &str) -> Option<usize> {
        self.concepts.iter().position(|c| c.name == name)
    }

    /// The concept and its ancestors, the concept first.
    pub fn lineage(&self, concept: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(concept), |&c| self.concepts[c].parent)
    }

    /// Every concept's score for an image: the sum of its classes' and its descendants' classes' scores.
    pub fn scores(&self, classes: &Classes) -> Vec<f32> {
        let mut scores = vec![0f32; self.concepts.len()];
        for &(class, score) in &classes.classes {
            if let Some(concept) = self.class_concept.get(class as usize).copied().flatten() {
                for c in self.lineage(concept) {
                    scores[c] += score;
                }
            }
        }
        scores
    }

    /// The subjects of an image, with their scores, best first: every concept that scores at least `MIN_SCORE`,
    /// and "document" for a page, "screenshot" for a screenshot (which the classes do not tell).
    pub fn subjects(&self, classes: &Classes, screenshot: bool) -> Vec<(usize, f32)> {
        let mut scores = self.scores(classes);
        let mut surely = |name: &str| {
            if let Some(c) = self.by_name(name) {
                scores[c] = scores[c].max(BY_OTHER_MEANS);
            }
        };
        if classes.page.is_document() {
            surely("document");
        }
        if screenshot {
            surely("screenshot");
        }
        let mut found: Vec<(usize, f32)> = scores.into_iter().enumerate().filter(|&(_, s)| s >= MIN_SCORE).collect();
        // Best first; of two as sure, the narrower ("dog" before "animal").
        let depth = |c: usize| self.lineage(c).count();
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then(depth(b.0).cmp(&depth(a.0))));
        found
    }
}

/// Screen sizes (either way up) of common phones, tablets and monitors: a PNG of exactly one, with no camera, is a
/// screenshot.
const SCREENS: [(i64, i64); 16] = [
    (1920, 1080),
    (2560, 1440),
    (3840, 2160),
    (1366, 768),
    (1440, 900),
    (2880, 1800),
    (3024, 1964),
    (3456, 2234),
    (1170, 2532),
    (1179, 2556),
    (1290, 2796),
    (1284, 2778),
    (1125, 2436),
    (750, 1334),
    (1080, 2400),
    (1080, 2340),
];

/// Whether a file is a screenshot: its name says so (as phones and desktops name them), or it is a PNG with no
/// camera at a screen's exact size.
pub fn is_screenshot(filename: &str, mime: Option<&str>, make: Option<&str>, (w, h): (i64, i64)) -> bool {
    let name = filename.to_lowercase();
    let named = [
        "screenshot",
        "screen shot",
        "bildschirmfoto",
        "capture d’écran",
        "capture d'écran",
        "schermata",
        "captura de pantalla",
    ]
    .iter()
    .any(|word| name.contains(word));
    let at_screen_size = SCREENS.iter().any(|&(a, b)| (w, h) == (a, b) || (w, h) == (b, a));
    named || (mime == Some("image/png") && make.is_none_or(|m| m.trim().is_empty()) && at_screen_size)
}

/// "151-268,339" → [151, …, 268, 339]; "-" or "" → none.
fn parse_classes(text: &str) -> Result<Vec<u16>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty() && *p != "-") {
        let number = |s: &str| s.parse::<u16>().map_err(|_| format!("{s:?} is not a class number"));
        match part.split_once('-') {
            Some((from, to)) => out.extend(number(from)?..=number(to)?),
            None => out.push(number(part)?),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_parses_and_every_class_has_at_most_one_subject() {
        let v = vocabulary();
        assert!((80..=150).contains(&v.concepts.len()), "{} subjects", v.concepts.len());
        let dog = v.by_name("dog").unwrap();
        assert_eq!(v.concepts[dog].classes.len(), 118);
        let lineage: Vec<&str> = v.lineage(dog).map(|c| v.concepts[c].name.as_str()).collect();
        assert_eq!(lineage, ["dog", "animal"]);
        assert_eq!(class_name(162), "beagle");
        assert!(v.concepts[v.by_name("cat").unwrap()].words.contains(&"kitten".to_string()));
    }

    #[test]
    fn breeds_add_up_to_a_confident_dog_and_its_parent() {
        let v = vocabulary();
        let classes =
            Classes { classes: vec![(162, 0.25), (161, 0.2), (281, 0.1), (999, 0.3)], page: Default::default() };
        let subjects = v.subjects(&classes, false);
        let names: Vec<&str> = subjects.iter().map(|&(c, _)| v.concepts[c].name.as_str()).collect();
        assert_eq!(names, ["animal", "dog"], "{subjects:?}");
        let only_dogs = Classes { classes: vec![(162, 0.5), (161, 0.3)], page: Default::default() };
        let names: Vec<&str> =
            v.subjects(&only_dogs, false).iter().map(|&(c, _)| v.concepts[c].name.as_str()).collect();
        assert_eq!(names, ["dog", "animal"], "as sure: the narrower first");
        assert!((subjects[1].1 - 0.45).abs() < 1e-6);
        let shot = v.subjects(&classes, true);
        assert!(shot.iter().any(|&(c, s)| v.concepts[c].name == "screenshot" && s == BY_OTHER_MEANS));
    }

    #[test]
    fn screenshots_are_known_by_their_file() {
        assert!(is_screenshot("Screenshot_20240102-101112.png", Some("image/png"), None, (1080, 2400)));
        assert!(is_screenshot("Bildschirmfoto 2024-01-02 um 10.11.12.jpg", Some("image/jpeg"), None, (3024, 1964)));
        assert!(is_screenshot("IMG_0001.PNG", Some("image/png"), None, (1170, 2532)), "an iPhone's screen size");
        assert!(!is_screenshot("IMG_0001.PNG", Some("image/png"), Some("Apple"), (1170, 2532)), "a camera made it");
        assert!(!is_screenshot("chelsea.png", Some("image/png"), None, (451, 300)));
        assert!(!is_screenshot("DSC_0001.JPG", Some("image/jpeg"), None, (1920, 1080)), "a JPEG at a screen's size");
    }

    #[test]
    fn search_words_name_their_subject() {
        let v = vocabulary();
        let name = |text: &str| v.named(text).map(|c| v.concepts[c].name.as_str());
        for (text, concept) in [("dog", "dog"), ("Dogs", "dog"), ("puppy", "dog"), ("puppies", "dog"), ("Hund", "dog")]
        {
            assert_eq!(name(text), Some(concept), "{text}");
        }
        assert_eq!(name(" beaches "), Some("beach"));
        assert_eq!(name("big cats"), Some("big cat"));
        assert_eq!(name("dogma"), None);
        assert_eq!(name(""), None);
    }

    #[test]
    fn a_bad_vocabulary_is_refused_with_its_line() {
        assert!(Vocabulary::parse("a\t\t1-3\t\t\nb\t\t3\t\t\n").unwrap_err().contains("line 2"));
        let nested = Vocabulary::parse("a\t\t1-3\t\t\nb\ta\t3\t\t\n").unwrap();
        assert_eq!(nested.class_concept[1..4], [Some(0), Some(0), Some(1)], "the narrower subject takes its class");
        assert!(Vocabulary::parse("a\tnone\t1\t\t\n").unwrap_err().contains("none"));
        assert!(Vocabulary::parse("a\t\t1000\t\t\n").is_err());
    }
}
