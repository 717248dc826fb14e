"""The pieces of scripts/soak: a `matryoshka serve` process on a free loopback port, an in-process stand-in upstream
with adversarial answers, and small HTTP and /proc helpers. Standard library only."""
import http.client
import http.server
import json
import os
import random
import resource
import signal
import subprocess
import threading

from script_support import ROOT, start_serve

KEY = "soak-server-key"
UPSTREAM_KEY = "soak-upstream-key-9f2c"


class Server:
    """`matryoshka serve --adaptor MODEL --port 0` with a bearer key (unless `key=None`), an optional upstream, corpus
    (`data`: a folder under data/), host, file limit and extra flags; its standard error goes into `log`."""

    def __init__(self, binary, model, upstream_url=None, data=None, extra=(), host="127.0.0.1", nofile=None, log=None,
                 key=KEY):
        self.key = key
        self.dimension = 384
        command = [binary, "serve", "--adaptor", model, "--port", "0", "--host", host]
        if key:
            command += ["--api-key-env", "SOAK_KEY"]
        if upstream_url:
            command += ["--upstream", upstream_url, "--upstream-model", "stand-in", "--upstream-key-env", "SOAK_UPSTREAM_KEY"]
        if data:
            command += ["--data", os.path.join(ROOT, "data", data)]
        command += list(extra)
        environment = dict(os.environ, SOAK_KEY=KEY, SOAK_UPSTREAM_KEY=UPSTREAM_KEY)
        self.log = log if log is not None else []

        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        self.process, self.port = start_serve(command, env=environment, log=self.log, preexec_fn=limit)
        self.pid = self.process.pid

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class StandInUpstream:
    """An OpenAI-compatible embeddings endpoint on a free loopback port. Texts `upstream-zero`, `upstream-echo` and
    `upstream-huge` make it answer zero vectors, a 401 whose message echoes the Authorization header it got, and a
    300 MB body; anything else gets a fixed Gaussian vector per input. It records the last input and path."""

    def __init__(self, dimension):
        self.dimension = dimension
        self.key = UPSTREAM_KEY
        self.last_input = None
        self.last_path = None
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.last_input, owner.last_path = body["input"], self.path
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                if "upstream-echo" in inputs:
                    return self.reply(401, {"error": {"message": f"bad key: {self.headers.get('Authorization')}"}})
                if "upstream-huge" in inputs:
                    return self.huge()
                zero = "upstream-zero" in inputs
                vectors = [[0.0] * dimension if zero else
                            [random.Random(str(text)).gauss(0, 1) for _ in range(dimension)] for text in inputs]
                self.reply(200, {"object": "list", "data": [{"object": "embedding", "index": i, "embedding": v}
                                                            for i, v in enumerate(vectors)],
                                 "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)}})

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

            def huge(self):
                chunk = b" " * (1 << 20)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(300 << 20))
                    self.end_headers()
                    for _ in range(300):
                        self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


def post(port, path, payload, key=KEY, timeout=60):
    """POSTs JSON; returns (status, parsed body or {})."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
        connection.request("POST", path, body=json.dumps(payload).encode(), headers=headers)
        response = connection.getresponse()
        data = response.read()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, {}
    except (http.client.HTTPException, OSError):
        return 0, {}
    finally:
        connection.close()


def post_bytes(port, path, body, key=KEY, timeout=120):
    """POSTs an encoded JSON body and reads the answer without parsing it (so that a client thread holds Python's
    lock as little as possible while it waits); returns (status, bytes received)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, len(response.read())
    except (http.client.HTTPException, OSError):
        return 0, 0
    finally:
        connection.close()


def get(port, path, timeout=30, raw=False):
    """GETs `path`; returns (status, parsed JSON or the text when `raw`)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        data = response.read()
        return response.status, data.decode() if raw else json.loads(data or b"{}")
    except (http.client.HTTPException, OSError, ValueError):
        return 0, "" if raw else {}
    finally:
        connection.close()


def rss_mb(pid):
    """Resident memory of `pid` in MB (VmRSS)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid):
    """User and system CPU seconds `pid` has used."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, p):
    """The p-th percentile (nearest rank) of `values`; 0 for none."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]
