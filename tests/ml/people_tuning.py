#!/usr/bin/env python3
"""How the People clustering's thresholds were chosen: replays `service/clustering.rs` (a face joins the nearest
person's centroid within JOIN, else a clear face starts a person; once the queue drains, persons whose centroids
are within MERGE merge, closest first) on the faces and embeddings the daemon stored for the corpus' face photos,
in ORDERS random orders of arrival, and prints the worst and mean B-cubed precision and recall for each pair of
thresholds (over the labelled single-face photos of persons with two photos or more, as tests/tests/people.rs
measures through the API).

    KEEP_PEOPLE_DB=/tmp/people.db cargo test -p photosd-tests --test people people_group
    target/mlenv/bin/python tests/ml/people_tuning.py /tmp/people.db [--orders 101]
"""
import argparse
import os
import random
import sqlite3

import numpy as np

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "corpus")
MIN_SCORE, MIN_SIZE = 0.8, 40.0


def load(db_path):
    db = sqlite3.connect(db_path)
    rows = db.execute(
        "SELECT CASE WHEN f.path = '' THEN i.filename ELSE f.path || '/' || i.filename END, fa.width * fa.height,"
        " fa.score, fa.size_px, fa.embedding FROM face fa JOIN item i ON i.id = fa.item_id"
        " JOIN folder f ON f.id = i.folder_id ORDER BY fa.id").fetchall()
    labels = {}
    for line in open(os.path.join(CORPUS, "MANIFEST.tsv")).read().splitlines()[1:]:
        f = line.split("\t")
        if f[1] == "faces" and f[8] == "1" and f[6] and "+" not in f[6]:
            labels[f[0][len("faces/"):]] = f[6]
    largest = {}
    for k, (path, area, *_rest) in enumerate(rows):
        if path in labels and (path not in largest or area > rows[largest[path]][1]):
            largest[path] = k
    vectors = np.stack([np.frombuffer(r[4], dtype="<f4") for r in rows])
    clear = [r[2] >= MIN_SCORE and r[3] >= MIN_SIZE for r in rows]
    return vectors, clear, {k: labels[p] for p, k in largest.items()}


def cluster(order, vectors, clear, join, merge):
    person, sums, members, next_id = {}, {}, {}, 1
    cos = lambda a, b: float(a @ b) / np.linalg.norm(a) / np.linalg.norm(b)
    for k in order:
        best = min(((1 - cos(vectors[k], s), p) for p, s in sums.items()), default=None)
        if best and best[0] <= join:
            p = best[1]
            person[k] = p
            members[p].append(k)
            sums[p] = sums[p] + vectors[k]
        elif clear[k]:
            person[k], members[next_id], sums[next_id] = next_id, [k], vectors[k].copy()
            next_id += 1
    while True:
        ids = list(sums)
        pairs = [(1 - cos(sums[a], sums[b]), a, b) for i, a in enumerate(ids) for b in ids[i + 1:]]
        d, a, b = min(pairs, default=(9, 0, 0))
        if d > merge:
            return person
        keep, gone = (a, b) if len(members[a]) >= len(members[b]) else (b, a)
        for k in members[gone]:
            person[k] = keep
        members[keep] += members.pop(gone)
        sums[keep] = sums[keep] + sums.pop(gone)


def b_cubed(person, labels):
    count = {}
    for label in labels.values():
        count[label] = count.get(label, 0) + 1
    precision = recall = n = 0
    for face, label in labels.items():
        if count[label] < 2:
            continue
        mates = [g for g in labels if g == face or (person.get(face) and person.get(face) == person.get(g))]
        right = sum(labels[g] == label for g in mates)
        precision += right / len(mates)
        recall += right / count[label]
        n += 1
    return precision / n, recall / n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db")
    ap.add_argument("--orders", type=int, default=101)
    args = ap.parse_args()
    vectors, clear, labels = load(args.db)
    rng = random.Random(1)
    n = len(vectors)
    orders = [list(range(n))] + [rng.sample(range(n), n) for _ in range(args.orders - 1)]
    print(f"{n} faces, {len(labels)} labelled photos, {len(orders)} orders of arrival")
    print("| join | merge | precision worst | mean | recall worst | mean |\n|---|---|---|---|---|---|")
    for join in [0.42, 0.46, 0.50, 0.52]:
        for merge in [0.55, 0.57, 0.60, 0.62]:
            scores = [b_cubed(cluster(o, vectors, clear, join, merge), labels) for o in orders]
            p, r = [s[0] for s in scores], [s[1] for s in scores]
            print(f"| {join:.2f} | {merge:.2f} | {min(p):.3f} | {np.mean(p):.3f} | {min(r):.3f} | {np.mean(r):.3f} |",
                  flush=True)


if __name__ == "__main__":
    main()
