-- Which vocabulary (ml/data/concepts.tsv and the rule that applies it, as a fingerprint) the stored subjects were
-- derived with. When photosd ships another, every classified item gets its subjects again from its stored classes
-- (item.subject_classes), without the network; the fingerprint is written once they all have.
CREATE TABLE subject_vocabulary (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint  TEXT NOT NULL
);
