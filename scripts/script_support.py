"""What the repository's Python scripts share (standard library only, so it runs before a virtual environment
exists): a private virtual environment per script, and starting `matryoshka serve` on a free port.

Used by Tests/Server/serve_with_openai_client.py, scripts/gates/serve.py and the benchmarks (through
benchmarks/common.py), which put this folder on sys.path.
"""
import os
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure_venv(name, packages, folder=".build"):
    """Re-runs the calling script inside FOLDER/NAME (relative to the repository), created with
    `pip install PACKAGES` (a list of pip arguments) on first use, from the machine's configured package index, and
    topped up when the list changes; returns at once when already inside it."""
    venv = os.path.join(ROOT, folder, name)
    python = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    marker = os.path.join(venv, "installed-packages.txt")
    wanted = "\n".join(packages)
    if not os.path.exists(marker) or open(marker).read() != wanted:
        subprocess.run([python, "-m", "pip", "install", "-q", *packages], check=True)
        with open(marker, "w") as file:
            file.write(wanted)
    os.execv(python, [python] + sys.argv)


def start_serve(command, env=None, log=None, timeout=60, preexec_fn=None):
    """Starts `command` (a `matryoshka serve … --port 0` command line) and returns (process, port) once it prints
    `listening on http://HOST:PORT`. Standard error is then drained by a thread, into the list `log` when given
    (every line read, the start-up lines included), so the pipe never blocks the server. When the server closes
    standard error without that line, or prints for `timeout` seconds without it, it is stopped and the script exits
    with what it printed."""
    server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=preexec_fn)
    lines = log if log is not None else []
    port = None
    deadline = time.time() + timeout
    while port is None and time.time() < deadline:
        line = server.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "listening on http://" in line:
            port = int(line.split("listening on http://")[1].split()[0].rsplit(":", 1)[1])
    if port is None:
        if server.poll() is None:
            server.kill()
            server.wait()
        sys.exit("the server did not start:\n" + "".join(lines))

    def drain():
        for line in server.stderr:
            if log is not None:
                log.append(line)

    threading.Thread(target=drain, daemon=True).start()
    return server, port
