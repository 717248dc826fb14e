#!/usr/bin/env python3
"""Bytes, not dimensions: nDCG@10 x 100 at every budget of bytes per vector in memory, for Matryoshka's codes
against the quantisation recipes users run today, each computed by its own library, in one run.

Ours (matryoshka evaluate --precision all, every size m, cosine of the float query against the decoded codes, or
Hamming for binary): the unsupervised default, the same fit aimed at binary and at int2 codes (fit --precision), the
supervised adaptor where the set has training judgements, and truncation and PCA codes (calibrated on the corpus).
Recipes: faiss-cpu's PCA + sign (binary), PCA + ITQ (binary; faiss ITQTransform), PQ and OPQ (index_factory
"PQ{M}" / "OPQ{M},PQ{M}", 8 bits per sub-quantiser), scalar quantisers SQ8 and SQ4 of truncated and PCA
coordinates (IndexScalarQuantizer), and sentence-transformers' quantize_embeddings (int8 with ranges calibrated on
the corpus, and binary scored by Hamming, as its recipe does) of truncated coordinates. Binary codes are scored both
by Hamming and asymmetrically (the float query against ±1). Every point is also re-scored: each query's best K
by the codes ordered by the full float vectors (what stays on disk). nDCG@10 is pytrec_eval's ndcg_cut_10 on the
test judgements; nothing is tuned on them (the fits use corpus vectors, the supervised one the train judgements).

A budget B holds every point of at most B bytes; each cell is the best such point (its recipe in the JSON).

Usage: benchmarks/bytes.py [--shared ../shared/data] [--sets scifact,...] [--rescore 100] [--reuse]
       benchmarks/bytes.py --summary   (BENCHMARKS.md's summary tables, from benchmarks/out/bytes.json)
Needs `swift build -c release --product matryoshka`; installs faiss-cpu, pytrec-eval-terrier and
sentence-transformers (CPU torch) into benchmarks/.venv-bytes. Writes benchmarks/out/bytes.json.
"""
import json
import os
import subprocess
import sys
import time

from common import BINARY, ROOT, data_flags, ensure_venv, shared_sets_arguments

BUDGETS = [8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512]
OUT = os.path.join(ROOT, "benchmarks", "out")


def load(shared, name):
    import numpy as np
    folder = os.path.join(shared, name)
    parent = os.path.join(shared, name.partition("/models/")[0])

    def ids(path):
        return [line.strip() for line in open(path) if line.strip()]
    corpus = np.load(os.path.join(folder, "corpus.f32.npy")).astype(np.float32)
    queries = np.load(os.path.join(folder, "queries.f32.npy")).astype(np.float32)
    qrels_path = os.path.join(folder, "qrels", "test.tsv")
    if not os.path.exists(qrels_path):
        qrels_path = os.path.join(parent, "qrels", "test.tsv")
    qrels = {}
    for line in open(qrels_path).read().splitlines()[1:]:
        q, d, g = line.split("\t")
        qrels.setdefault(q, {})[d] = int(g)
    query_ids = ids(os.path.join(folder, "query_ids.txt"))
    keep = [i for i, q in enumerate(query_ids) if q in qrels]
    corpus /= np.linalg.norm(corpus, axis=1, keepdims=True)
    queries = queries[keep] / np.linalg.norm(queries[keep], axis=1, keepdims=True)
    return corpus, queries, [query_ids[i] for i in keep], ids(os.path.join(folder, "corpus_ids.txt")), qrels


class Scorer:
    """nDCG@10 (pytrec_eval) of rankings given as (n × k) document indices, optionally re-scored by the full
    vectors."""

    def __init__(self, corpus, queries, query_ids, doc_ids, qrels, rescore):
        import pytrec_eval
        self.corpus, self.queries, self.query_ids, self.doc_ids = corpus, queries, query_ids, doc_ids
        self.evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10"})
        self.rescore = rescore

    def ndcg(self, indices, scores):
        run = {}
        for i, q in enumerate(self.query_ids):
            run[q] = {self.doc_ids[j]: float(s) for j, s in zip(indices[i], scores[i]) if j >= 0}
        per = self.evaluator.evaluate(run)
        return 100 * sum(v["ndcg_cut_10"] for v in per.values()) / len(self.query_ids)

    def both(self, indices):
        """(nDCG@10 of the codes' own order, nDCG@10 after re-scoring the first `rescore` by the full vectors)."""
        import numpy as np
        k = indices.shape[1]
        plain = self.ndcg(indices[:, :10], -np.arange(10)[None, :].repeat(len(indices), 0))
        short = indices[:, :self.rescore]
        full = np.einsum("qd,qkd->qk", self.queries, self.corpus[short])
        order = np.argsort(-full, axis=1, kind="stable")
        rescored = np.take_along_axis(short, order, 1)[:, :10]
        assert k >= self.rescore
        return plain, self.ndcg(rescored, -np.arange(10)[None, :].repeat(len(indices), 0))


def top(scores, k):
    """Indices of the k largest scores per row, best first (ties by index)."""
    import numpy as np
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.lexsort((part, -np.take_along_axis(scores, part, 1)), axis=1)
    return np.take_along_axis(part, order, 1)


def recipes(corpus, queries, scorer, sizes):
    """[(family, recipe, bytes, nDCG, nDCG re-scored)] for every library recipe."""
    import faiss
    import numpy as np
    try:
        from sentence_transformers.util.quantization import quantize_embeddings
    except ImportError:
        from sentence_transformers.quantization import quantize_embeddings
    n, d = corpus.shape
    K = scorer.rescore
    points = []

    def add(family, recipe, nbytes, indices):
        plain, rescored = scorer.both(indices)
        points.append((family, recipe, int(nbytes), plain, rescored))

    def hamming(codes_c, codes_q, bits):
        index = faiss.IndexBinaryFlat(bits)
        index.add(codes_c)
        _, found = index.search(codes_q, K)
        return found

    def asymmetric(float_q, signs_c):
        return top(float_q @ signs_c.T, K)

    for m in sizes:
        t_c, t_q = np.ascontiguousarray(corpus[:, :m]), np.ascontiguousarray(queries[:, :m])
        # sentence-transformers' recipes on truncated (Matryoshka-style) coordinates.
        bc = quantize_embeddings(t_c, precision="ubinary")
        bq = quantize_embeddings(t_q, precision="ubinary")
        add("sentence-transformers", f"ubinary of {m} truncated, Hamming", m // 8, hamming(bc, bq, m))
        add("sentence-transformers", f"ubinary of {m} truncated, asymmetric", m // 8,
            asymmetric(t_q, np.where(t_c > 0, 1.0, -1.0).astype(np.float32)))
        ic = quantize_embeddings(t_c, precision="int8", calibration_embeddings=t_c)
        iq = quantize_embeddings(t_q, precision="int8", calibration_embeddings=t_c)
        add("sentence-transformers", f"int8 of {m} truncated", m,
            top(iq.astype(np.float32) @ ic.astype(np.float32).T, K))
        # faiss: PCA + sign, PCA + ITQ, scalar quantisers.
        pca = faiss.PCAMatrix(d, m)
        pca.train(corpus)
        p_c, p_q = pca.apply(corpus), pca.apply(queries)
        add("faiss", f"PCA {m} + sign, asymmetric", m // 8, asymmetric(p_q, np.where(p_c > 0, 1.0, -1.0).astype(np.float32)))
        add("faiss", f"PCA {m} + sign, Hamming", m // 8,
            hamming(np.packbits(p_c > 0, axis=1), np.packbits(p_q > 0, axis=1), m))
        itq = faiss.ITQTransform(d, m, True)
        itq.train(corpus)
        i_c, i_q = itq.apply(corpus), itq.apply(queries)
        add("faiss", f"PCA {m} + ITQ, asymmetric", m // 8, asymmetric(i_q, np.where(i_c > 0, 1.0, -1.0).astype(np.float32)))
        add("faiss", f"PCA {m} + ITQ, Hamming", m // 8,
            hamming(np.packbits(i_c > 0, axis=1), np.packbits(i_q > 0, axis=1), m))
        for kind, qtype, per in (("SQ8", faiss.ScalarQuantizer.QT_8bit, 1), ("SQ4", faiss.ScalarQuantizer.QT_4bit, 0.5)):
            for label, x_c, x_q in (("truncated", t_c, t_q), ("PCA", p_c, p_q)):
                index = faiss.IndexScalarQuantizer(m, qtype, faiss.METRIC_INNER_PRODUCT)
                index.train(x_c)
                index.add(x_c)
                _, found = index.search(np.ascontiguousarray(x_q), K)
                add("faiss", f"{kind} of {m} {label}", m * per, found)
    # Product quantisers where they compete (up to 64 bytes; OPQ's training grows with M, so up to 48).
    for M in (8, 16, 32, 48, 64):
        if d % M:
            continue
        for spec in [f"PQ{M}"] + ([f"OPQ{M},PQ{M}"] if M <= 48 else []):
            index = faiss.index_factory(d, spec, faiss.METRIC_INNER_PRODUCT)
            index.train(corpus)
            index.add(corpus)
            _, found = index.search(queries, K)
            add("faiss", spec, M, found)
    return points


def ours(shared, name, models, rescore):
    """[(family, recipe, bytes, nDCG, nDCG re-scored)] from matryoshka evaluate --precision all."""
    import numpy as np
    d = np.load(os.path.join(shared, name, "corpus.f32.npy"), mmap_mode="r").shape[1]
    dims = ",".join(str(m) for m in [8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768] if m <= d)
    points = []
    for family, method in [("truncation codes", ["--method", "truncate"]), ("PCA codes", ["--method", "pca"])] + \
            [(label, ["--method", "adaptor", "--adaptor", path]) for label, path in models]:
        results = {}
        for scoring in ("asymmetric", "hamming"):
            for extra in ([], ["--rescore", str(rescore)]):
                precisions = "all" if scoring == "asymmetric" else "binary"
                out = subprocess.run([BINARY, "evaluate", *data_flags(shared, name), *method, "--dims", dims,
                                      "--precision", precisions, "--scoring", scoring, *extra, "--json", "--quiet"],
                                     check=True, capture_output=True, text=True).stdout
                for r in json.loads(out)["results"]:
                    key = (r["dimension"], r["precision"], scoring)
                    results.setdefault(key, {})["rescored" if extra else "plain"] = 100 * r["ndcg@10"]
                    results[key]["bytes"] = r["bytes_per_vector"]
        for (m, precision, scoring), r in results.items():
            label = f"{precision} of {m}" + (", Hamming" if scoring == "hamming" else "")
            points.append((family, label, r["bytes"], r["plain"], r["rescored"]))
    return points


def fit(shared, name, path, extra, reuse):
    if reuse and os.path.exists(path):
        return
    started = time.time()
    subprocess.run([BINARY, "fit", *data_flags(shared, name), "--out", path, "--quiet", *extra], check=True)
    print(f"  fitted {os.path.basename(path)} in {time.time() - started:.0f} s", file=sys.stderr)


def main():
    ensure_venv(".venv-bytes", ["numpy", "faiss-cpu", "pytrec-eval-terrier", "torch==2.13.0+cpu", "sentence-transformers"])

    def configure(parser):
        parser.add_argument("--rescore", type=int, default=100)
        parser.add_argument("--reuse", action="store_true", help="evaluate models already in benchmarks/out/bytes/")
        parser.add_argument("--summary", action="store_true", help="print the summary tables of the last run and stop")
    args = shared_sets_arguments(configure)
    path = os.path.join(OUT, "bytes.json")
    if args.summary:
        print_summary(json.load(open(path)), args.sets.split(","))
        return
    report = json.load(open(path)) if os.path.exists(path) else {}
    for name in args.sets.split(","):
        print(f"{name}:", file=sys.stderr)
        folder = os.path.join(OUT, "bytes", name.replace("/", "_"))
        os.makedirs(folder, exist_ok=True)
        models = [("ours: unsupervised", os.path.join(folder, "unsupervised.safetensors"), []),
                  ("ours: unsupervised, fit --precision binary", os.path.join(folder, "binary.safetensors"),
                   ["--precision", "binary"]),
                  ("ours: unsupervised, fit --precision int2", os.path.join(folder, "int2.safetensors"),
                   ["--precision", "int2"])]
        train = os.path.join(args.shared, name.partition("/models/")[0], "qrels", "train.tsv")
        if os.path.exists(train):
            models.append(("ours: supervised", os.path.join(folder, "supervised.safetensors"), ["--supervised"]))
        for _, model, extra in models:
            fit(args.shared, name, model, extra, args.reuse)
        corpus, queries, query_ids, doc_ids, qrels = load(args.shared, name)
        scorer = Scorer(corpus, queries, query_ids, doc_ids, qrels, args.rescore)
        full = scorer.ndcg(top(queries @ corpus.T, 10), -__import__("numpy").arange(10)[None, :].repeat(len(queries), 0))
        d = corpus.shape[1]
        sizes = [m for m in (64, 128, 256, 384, 512, 768) if m <= d]
        started = time.time()
        points = ours(args.shared, name, [(label, model) for label, model, _ in models], args.rescore)
        print(f"  scored ours in {time.time() - started:.0f} s", file=sys.stderr)
        started = time.time()
        points += recipes(corpus, queries, scorer, sizes)
        print(f"  scored {len(points)} points in all, the recipes in {time.time() - started:.0f} s", file=sys.stderr)
        report[name] = {"full_ndcg@10": full, "dimension": d, "rescore": args.rescore,
                        "points": [dict(zip(("family", "recipe", "bytes", "ndcg@10", "ndcg@10_rescored"), p))
                                   for p in points]}
        print_table(name, report[name])
        os.makedirs(OUT, exist_ok=True)
        with open(path + ".tmp", "w") as file:
            json.dump(report, file, indent=1)
        os.replace(path + ".tmp", path)


def best(points, family_test, budget, key):
    candidates = [p for p in points if family_test(p["family"]) and p["bytes"] <= budget]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (p[key], -p["bytes"]))


def print_table(name, entry):
    points, full = entry["points"], entry["full_ndcg@10"]
    families = sorted({p["family"] for p in points if p["family"].startswith("ours")})
    columns = families + ["faiss", "sentence-transformers", "truncation codes", "PCA codes"]
    print(f"\n### {name} (d = {entry['dimension']}; full vectors {full:.2f}; best point of at most B bytes)\n")
    for key, title in (("ndcg@10", "codes alone"), ("ndcg@10_rescored", f"top-{entry['rescore']} re-scored by the full vectors")):
        print(f"{title}:\n")
        print("| B | " + " | ".join(columns) + " | best recipe |")
        print("|---|" + "---|" * (len(columns) + 1))
        for budget in BUDGETS:
            cells = []
            for family in columns:
                p = best(points, lambda f, family=family: f == family, budget, key)
                cells.append("" if p is None else f"{p[key]:.2f}")
            recipe = best(points, lambda f: not f.startswith("ours"), budget, key)
            cells.append("" if recipe is None else f"{recipe['family']}: {recipe['recipe']} ({recipe['bytes']} B)")
            print(f"| {budget} | " + " | ".join(cells) + " |")
        print()


def print_summary(report, names):
    """Per set and budget: our unsupervised default, the same with the code stage (the better of the binary and
    int2 fits), the supervised fit, the best library recipe (faiss, sentence-transformers), ours minus it, and
    the re-scored top-100 of ours and of the best recipe with ours as a share of the full vectors."""
    recipes = lambda f: f in ("faiss", "sentence-transformers")
    for name in names:
        e = report[name]
        points, full = e["points"], e["full_ndcg@10"]
        print(f"\n**{name}** (d = {e['dimension']}, full vectors {full:.2f})\n")
        print("| bytes | ours: unsupervised | ours: + fit --precision (best of binary, int2) | ours: supervised "
              "| best library recipe (faiss, sentence-transformers) | ours − recipe "
              "| re-scored top-100: ours unsupervised / best recipe / % of full |")
        print("|---|---|---|---|---|---|---|")
        for budget in (8, 16, 32, 48, 64, 96, 128, 256):
            u = best(points, lambda f: f == "ours: unsupervised", budget, "ndcg@10")
            a = best(points, lambda f: "fit --precision" in f, budget, "ndcg@10")
            s = best(points, lambda f: f == "ours: supervised", budget, "ndcg@10")
            r = best(points, recipes, budget, "ndcg@10")
            ur = best(points, lambda f: f == "ours: unsupervised", budget, "ndcg@10_rescored")
            rr = best(points, recipes, budget, "ndcg@10_rescored")
            ours = max(u["ndcg@10"], a["ndcg@10"])
            print(f"| {budget} | {u['ndcg@10']:.2f} ({u['recipe']}) | {a['ndcg@10']:.2f} ({a['recipe']}) | "
                  + (f"{s['ndcg@10']:.2f}" if s else "–")
                  + f" | {r['ndcg@10']:.2f} ({r['recipe']}) | {ours - r['ndcg@10']:+.2f} | {ur['ndcg@10_rescored']:.2f} / "
                  f"{rr['ndcg@10_rescored']:.2f} / {100 * ur['ndcg@10_rescored'] / full:.1f} % |")


if __name__ == "__main__":
    main()
