#!/usr/bin/env python3
"""`matryoshka serve` end to end, with the real `openai` Python client, against a stand-in upstream.

Usage: Tests/Server/serve_with_openai_client.py .build/debug/matryoshka
Installs `openai` and `numpy` into .build/venv-serve-test on first use. The stand-in upstream is an
OpenAI-compatible embeddings endpoint in this process: each text's vector is a fixed function of the text
(a seeded Gaussian, 384-d); the texts `upstream-500`, `upstream-slow` and `upstream-short` make it fail with a
500, answer after the server's timeout, and return a vector of the wrong dimension. The server gets a small
model fitted on data/scifact, that folder as its search corpus, its own bearer key, an 8-input and a 200 kB limit.

Checks: both encoding formats through `client.embeddings.create(..., dimensions=64)`, equal to the adaptor
applied offline (`matryoshka apply --dimension 64` on the same upstream vectors); /v1/adapt; /v1/search by
vector and by text (exact and funnel); /health; /metrics; every error case with its status and OpenAI error
object; graceful shutdown on SIGTERM; and every answer received (each route and status) against the OpenAPI
document the live server serves at /openapi.yaml (the document itself checked with openapi-spec-validator, each
body with the OpenAPI 3.1 JSON-schema validator). Exits non-zero after the checks if any failed.
"""
import base64
import hashlib
import http.server
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from script_support import ensure_venv, start_serve  # noqa: E402

ensure_venv("venv-serve-test", ["openai", "numpy", "pyyaml", "openapi-spec-validator", "openapi-schema-validator"])
import numpy as np  # noqa: E402
import openai  # noqa: E402
import yaml  # noqa: E402
from openapi_schema_validator import OAS31Validator  # noqa: E402
from openapi_spec_validator import validate as validate_spec  # noqa: E402

DIMENSION = 384


def upstream_vector(text):
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(DIMENSION).astype(np.float32)


class Upstream(http.server.BaseHTTPRequestHandler):
    calls = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Upstream.calls.append((self.path, self.headers.get("Authorization"), body))
        texts = body["input"]
        if "upstream-500" in texts:
            return self.reply(500, {"error": {"message": "stand-in failure", "type": "server_error"}})
        if "upstream-slow" in texts:
            time.sleep(2.5)
        vectors = [upstream_vector(t if isinstance(t, str) else json.dumps(t)) for t in texts]
        if "upstream-short" in texts:
            vectors = [v[:10] for v in vectors]
        self.reply(200, {"object": "list", "model": body["model"],
                         "data": [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)],
                         "usage": {"prompt_tokens": 3 * len(texts), "total_tokens": 3 * len(texts)}})

    def reply(self, status, payload):
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass


failures = []
# Every answer received: (method, path, status, JSON body), checked against the OpenAPI document at the end.
answers = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def post(port, path, payload, key="server-key", raw=None):
    data = raw if raw is not None else json.dumps(payload).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method="POST",
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {key}"} if key else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, body = response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        status, body = error.code, json.loads(error.read() or b"{}")
    answers.append(("post", path, status, body))
    return status, body


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:
        return response.read().decode()


def check_against_openapi(port):
    """The served OpenAPI document is valid, and every answer received has a status it lists with a body its schema
    accepts."""
    document = yaml.safe_load(get(port, "/openapi.yaml"))
    try:
        validate_spec(document)
        check(True, "/openapi.yaml is a valid OpenAPI 3.1 document")
    except Exception as error:  # noqa: BLE001 - any validation failure is a failed check
        check(False, f"/openapi.yaml is a valid OpenAPI 3.1 document ({error})")
    seen = set()
    for method, path, status, body in answers:
        responses = document["paths"].get(path, {}).get(method, {}).get("responses", {})
        response = responses.get(str(status))
        if response is None:
            check(False, f"{method.upper()} {path} {status} is described by /openapi.yaml")
            continue
        if "$ref" in response:
            response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        schema = dict(response["content"]["application/json"]["schema"], components=document["components"])
        problems = [e.message for e in OAS31Validator(schema).iter_errors(body)]
        if problems or (method, path, status) not in seen:
            check(not problems, f"{method.upper()} {path} {status} matches /openapi.yaml"
                  + (f": {problems[0][:120]}" if problems else ""))
        seen.add((method, path, status))


def expect_error(port, path, payload, status, what, key="server-key", raw=None, param=None):
    got, body = post(port, path, payload, key=key, raw=raw)
    error = body.get("error", {})
    shaped = set(error) == {"message", "type", "param", "code"} and isinstance(error.get("message"), str)
    check(got == status and shaped and (param is None or error.get("param") == param),
          f"{what}: {status} with an OpenAI error object (got {got}: {json.dumps(body)[:160]})")
    return error


def main():
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="serve-test-")
    model = os.path.join(work, "m.safetensors")
    subprocess.run([binary, "fit", "--data", os.path.join(ROOT, "data", "scifact"), "--out", model,
                    "--iterations", "20", "--validation-interval", "10", "--quiet"], check=True)

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    environment = dict(os.environ, STANDIN_UPSTREAM_KEY="upstream-secret", MATRYOSHKA_KEY="server-key")
    log = []
    server, port = start_serve(
        [binary, "serve", "--adaptor", model, "--port", "0", "--model-name", "mini-adapted",
         "--upstream", f"http://127.0.0.1:{upstream.server_address[1]}/v1", "--upstream-model", "stand-in",
         "--upstream-key-env", "STANDIN_UPSTREAM_KEY", "--upstream-timeout", "1", "--api-key-env", "MATRYOSHKA_KEY",
         "--max-inputs", "8", "--max-body-bytes", "200000", "--data", os.path.join(ROOT, "data", "scifact"),
         "--shortlist-dimensions", "32"],
        env=environment, log=log)
    try:
        run_checks(binary, work, port)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                code = server.wait(timeout=10)
                check(code == 0, f"SIGTERM stops the server cleanly (exit {code})")
            except subprocess.TimeoutExpired:
                server.kill()
                check(False, "SIGTERM stops the server within 10 s")
        upstream.shutdown()
    check(not any("upstream-secret" in line or "server-key" in line for line in log), "no key appears in the logs")
    if failures:
        print("".join(log[-20:]), file=sys.stderr)
        sys.exit(f"{len(failures)} check(s) failed")
    print("all serve checks passed")


def run_checks(binary, work, port):
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="server-key", max_retries=0)
    texts = ["a first sentence", "a second, longer sentence about cells"]

    # The adaptor offline, on the same upstream vectors: the reference for what serve returns.
    raw = np.stack([upstream_vector(t) for t in texts])
    np.save(os.path.join(work, "raw.npy"), raw)
    subprocess.run([binary, "apply", "--adaptor", os.path.join(work, "m.safetensors"), "--input",
                    os.path.join(work, "raw.npy"), "--output", os.path.join(work, "adapted.npy"), "--dimension", "64",
                    "--quiet"], check=True)
    offline = np.load(os.path.join(work, "adapted.npy"))

    for encoding in ["base64", "float"]:
        response = client.embeddings.create(model="mini-adapted", input=texts, dimensions=64, encoding_format=encoding)
        # Asked for explicitly, base64 comes back as the string (the client decodes it only when it chose base64).
        got = np.array([np.frombuffer(base64.b64decode(item.embedding), dtype="<f4") if encoding == "base64"
                        else item.embedding for item in response.data], dtype=np.float32)
        check(got.shape == (2, 64) and [item.index for item in response.data] == [0, 1],
              f"{encoding}: two 64-d embeddings in order")
        check(np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5), f"{encoding}: unit length")
        check(np.abs(got - offline).max() < 1e-5, f"{encoding}: equal to `apply --dimension 64` on the upstream vectors "
              f"(max difference {np.abs(got - offline).max():.2e})")
        check(response.usage.prompt_tokens == 6 and response.usage.total_tokens == 6, f"{encoding}: usage passed through")
        check(response.model == "mini-adapted", f"{encoding}: model name reported")
    # The openai client's default (base64, no dimensions): the full 384-d adapted vector, and a single string.
    single = client.embeddings.create(model="mini-adapted", input="one text")
    check(len(single.data) == 1 and len(single.data[0].embedding) == DIMENSION, "one string, no dimensions: 384-d")
    for encoding in ["float", "base64"]:
        status, listed = post(port, "/v1/embeddings", {"input": texts, "dimensions": 8, "encoding_format": encoding})
        check(status == 200 and len(listed["data"]) == 2, f"/v1/embeddings by hand, {encoding}")
    path, authorization, body = Upstream.calls[-1]
    check(path == "/v1/embeddings" and authorization == "Bearer upstream-secret" and body["model"] == "stand-in",
          "upstream called at /v1/embeddings with its own key and model")

    # Vectors in, vectors out.
    status, adapted = post(port, "/v1/adapt", {"input": raw.tolist(), "dimensions": 64})
    vectors = np.array([item["embedding"] for item in adapted["data"]], dtype=np.float32)
    check(status == 200 and np.abs(vectors - offline).max() < 1e-5, "/v1/adapt with float arrays equals apply")
    encoded = [base64.b64encode(v.astype("<f4").tobytes()).decode() for v in raw]
    status, adapted = post(port, "/v1/adapt", {"input": encoded, "dimensions": 64, "encoding_format": "base64"})
    decoded = np.stack([np.frombuffer(base64.b64decode(item["embedding"]), dtype="<f4") for item in adapted["data"]])
    check(status == 200 and np.abs(decoded - offline).max() < 1e-5, "/v1/adapt with base64 in and out equals apply")

    # Search: by vector (a corpus document finds itself first), exact and through the funnel, and by text.
    corpus = np.load(os.path.join(ROOT, "data", "scifact", "corpus.f32.npy"), mmap_mode="r")
    ids = open(os.path.join(ROOT, "data", "scifact", "corpus_ids.txt")).read().split()
    status, found = post(port, "/v1/search", {"vector": corpus[7].tolist(), "k": 5})
    hits = found["data"][0]["results"] if status == 200 else []
    check(status == 200 and len(hits) == 5 and hits[0]["id"] == ids[7], "/v1/search by vector: the document first")
    status, funnel = post(port, "/v1/search", {"vector": corpus[7].tolist(), "k": 5, "shortlist_dimension": 32,
                                               "shortlist_size": 50})
    check(status == 200 and funnel["data"][0]["results"][0]["id"] == ids[7] and funnel["shortlist_dimension"] == 32,
          "/v1/search through the funnel (m = 32, K = 50)")
    status, by_text = post(port, "/v1/search", {"input": ["cells", "proteins"], "k": 3})
    check(status == 200 and [len(q["results"]) for q in by_text["data"]] == [3, 3], "/v1/search by text, two queries")

    health = json.loads(get(port, "/health"))
    answers.append(("get", "/health", 200, health))
    check(health["status"] == "ok" and health["dimension"] == DIMENSION and health["corpus_documents"] == len(ids),
          "/health")

    # Errors: status and OpenAI's error object.
    expect_error(port, "/v1/embeddings", {"input": "x", "dimensions": 385}, 400, "dimensions above d", param="dimensions")
    expect_error(port, "/v1/embeddings", {"input": "x", "dimensions": 0}, 400, "dimensions 0", param="dimensions")
    expect_error(port, "/v1/embeddings", {"input": "x", "dimensions": "64"}, 400, "dimensions as a string",
                 param="dimensions")
    expect_error(port, "/v1/embeddings", {"input": ""}, 400, "empty string", param="input")
    expect_error(port, "/v1/embeddings", {"input": []}, 400, "empty input list", param="input")
    expect_error(port, "/v1/embeddings", {"model": "m"}, 400, "missing input", param="input")
    expect_error(port, "/v1/embeddings", {"input": 5}, 400, "input of the wrong type", param="input")
    expect_error(port, "/v1/embeddings", {"input": ["a", 5]}, 400, "a non-string in the input list", param="input")
    status, tokens = post(port, "/v1/embeddings", {"input": [[101, 2023, 102]], "dimensions": 8})
    check(status == 200 and Upstream.calls[-1][2]["input"] == [[101, 2023, 102]] and len(tokens["data"]) == 1,
          "token arrays are passed to the upstream as they are")
    expect_error(port, "/v1/embeddings", {"input": [[1, -2]]}, 400, "a token array with a negative id", param="input")
    expect_error(port, "/v1/search", {"vector": corpus[0].tolist(), "shortlist_dimension": 16}, 400,
                 "a shortlist size not built at start", param="shortlist_dimension")
    expect_error(port, "/v1/embeddings", {"input": ["t"] * 9}, 400, "too many inputs (9 > 8)", param="input")
    expect_error(port, "/v1/embeddings", {"input": "x", "encoding_format": "int8"}, 400, "unknown encoding_format",
                 param="encoding_format")
    expect_error(port, "/v1/embeddings", {"input": "x", "model": 3}, 400, "model of the wrong type", param="model")
    expect_error(port, "/v1/embeddings", {"input": "x", "temperature": 1}, 400, "unknown field", param="temperature")
    expect_error(port, "/v1/embeddings", None, 400, "body that is not JSON", raw=b"{not json")
    expect_error(port, "/v1/adapt", {"input": [[1.0] * 10]}, 400, "vector of the wrong dimension", param="input")
    expect_error(port, "/v1/adapt", {"input": [[0.0] * DIMENSION]}, 400, "all-zero vector", param="input")
    expect_error(port, "/v1/adapt", {"input": ["%%%"]}, 400, "bad base64", param="input")
    expect_error(port, "/v1/search", {"vector": corpus[0].tolist(), "k": 0}, 400, "k of 0", param="k")
    expect_error(port, "/v1/search", {"k": 3}, 400, "search without a query")
    expect_error(port, "/v1/embeddings", {"input": "x"}, 401, "missing key", key=None)
    error = expect_error(port, "/v1/embeddings", {"input": "x"}, 401, "wrong key", key="nope")
    check(error.get("type") == "authentication_error", "401 has type authentication_error")
    expect_error(port, "/v1/adapt", {"input": [[0.25] * 60000]}, 413, "body over the limit")
    error = expect_error(port, "/v1/embeddings", {"input": "upstream-500"}, 502, "upstream 500")
    check("500" in error.get("message", "") and "stand-in failure" in error.get("message", ""),
          "502 names the upstream's status and message")
    expect_error(port, "/v1/embeddings", {"input": "upstream-short"}, 502, "upstream vector of the wrong dimension")
    expect_error(port, "/v1/embeddings", {"input": "upstream-slow"}, 504, "upstream timeout")
    try:
        client.embeddings.create(model="m", input="x", dimensions=1000)
        check(False, "the openai client raises on 400")
    except openai.BadRequestError as error:
        check(error.status_code == 400 and "dimensions" in str(error), "the openai client raises BadRequestError")

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as response:
        metrics = response.read().decode()
    check('matryoshka_http_requests_total{route="/v1/embeddings",method="POST",status="200"}' in metrics,
          "/metrics counts requests by route and status")
    check("matryoshka_http_request_duration_seconds_bucket" in metrics, "/metrics has latency histograms")
    check('matryoshka_upstream_errors_total{code="upstream_status_500"} 1' in metrics
          and 'matryoshka_upstream_errors_total{code="upstream_timeout"} 1' in metrics, "/metrics counts upstream errors")
    check_against_openapi(port)


if __name__ == "__main__":
    main()
