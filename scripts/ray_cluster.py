#!/usr/bin/env python3
"""A real two-node Ray cluster on loopback, for tests and benchmarks: `ray start --head` on 127.0.0.2 and a second
`ray start --address` on 127.0.0.3, one CPU each (so work spreads over both), in a temporary folder of their own,
stopped on every exit path (the processes this cluster started, and their children, are killed; other Ray clusters on the
machine are left alone). Nothing is mocked: two raylets, two object stores, one GCS.

    with RayCluster() as cluster:          # cluster.address is "127.0.0.2:PORT"
        ...                                 # ray.init(address=cluster.address)
        cluster.kill_node(1)                # the second node's raylet and workers, by PID, with SIGKILL

As a command, runs COMMAND with RAY_ADDRESS set to the cluster, then stops it:

    scripts/ray_cluster.py [--cpus 1] [--object-store-mb 1000] -- COMMAND ...

`ray` is the one beside this Python (the virtual environment's).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Set

import psutil


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RayCluster:
    """Ray nodes on 127.0.0.2, 127.0.0.3, ... (`nodes`, one CPU each by default), started on entry and stopped on exit."""

    def __init__(self, nodes: int = 2, cpus: int = 1, object_store_mb: int = 1000, env: Optional[dict] = None):
        self.nodes, self.cpus, self.object_store_mb = nodes, cpus, object_store_mb
        self.env = {**os.environ, **(env or {})}
        self.env.pop("RAY_ADDRESS", None)
        self.ray = str(Path(sys.executable).with_name("ray"))
        self.port = _free_port()
        # Ray replaces 127.0.0.1 by the machine's network address; other loopback addresses it keeps, so each node
        # gets its own (127.0.0.2, 127.0.0.3, ...) and every packet stays on the loopback interface.
        self.address = f"127.0.0.2:{self.port}"
        # Short: Ray's unix socket paths live under it (at most 107 bytes).
        self.folder = tempfile.mkdtemp(prefix="mray", dir="/tmp")
        self.node_roots: List[Set[int]] = []

    def _ours(self) -> Set[int]:
        found = set()
        for process in psutil.process_iter(["pid", "cmdline"]):
            try:
                if any(self.folder in part for part in process.info["cmdline"] or []):
                    found.add(process.info["pid"])
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return found

    def _start(self, arguments: List[str]) -> None:
        before = self._ours()
        node_address = f"127.0.0.{2 + len(self.node_roots)}"
        result = subprocess.run([self.ray, "start", *arguments, "--node-ip-address", node_address,
                                 "--num-cpus", str(self.cpus), "--object-store-memory",
                                 str(self.object_store_mb * 1024 * 1024), "--disable-usage-stats"],
                                env=self.env, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"ray start {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
        self.node_roots.append(self._ours() - before)

    def __enter__(self) -> "RayCluster":
        try:
            self._start(["--head", "--port", str(self.port), "--temp-dir", self.folder, "--include-dashboard",
                         "false"])
            for _ in range(1, self.nodes):
                self._start(["--address", self.address])
            self.wait_for_nodes(self.nodes)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def alive_nodes(self) -> int:
        """Nodes the cluster reports alive (`ray list nodes` would need the dashboard; `ray status` does not)."""
        result = subprocess.run([self.ray, "status", "--address", self.address], env=self.env, capture_output=True,
                                text=True, timeout=60)
        text = result.stdout
        if "Active:" not in text:
            return 0
        active = text.split("Active:")[1].split("Pending:")[0]
        return sum(1 for line in active.splitlines() if line.strip().startswith("1 node_"))

    def wait_for_nodes(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.alive_nodes() != count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Ray cluster at {self.address} did not reach {count} alive nodes")
            time.sleep(1)

    def node_processes(self, node: int) -> List[psutil.Process]:
        """The processes of node `node` (0: the head): those its `ray start` left running, and all their children
        (the raylet's workers among them)."""
        found = {}
        for pid in self.node_roots[node]:
            try:
                process = psutil.Process(pid)
                found[pid] = process
                for child in process.children(recursive=True):
                    found[child.pid] = child
            except psutil.NoSuchProcess:
                continue
        return list(found.values())

    def kill_node(self, node: int) -> List[int]:
        """Kills node `node`'s processes with SIGKILL (a machine lost, as far as Ray can tell); returns their PIDs."""
        victims = self.node_processes(node)
        for process in victims:
            try:
                process.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(victims, timeout=10)
        return [p.pid for p in victims]

    def stop(self) -> None:
        """Kills every process of this cluster (the nodes' and their children) and removes its folder."""
        for _ in range(3):
            victims = {}
            for node in range(len(self.node_roots)):
                for process in self.node_processes(node):
                    victims[process.pid] = process
            for pid in self._ours():
                try:
                    victims.setdefault(pid, psutil.Process(pid))
                except psutil.NoSuchProcess:
                    pass
            victims.pop(os.getpid(), None)
            if not victims:
                break
            for process in victims.values():
                try:
                    process.send_signal(signal.SIGKILL)
                except psutil.NoSuchProcess:
                    pass
            psutil.wait_procs(list(victims.values()), timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--cpus", type=int, default=1, help="CPUs per node (default 1)")
    parser.add_argument("--object-store-mb", type=int, default=1000, help="object store per node (default 1000 MB)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ...")
    arguments = parser.parse_args()
    command = arguments.command[1:] if arguments.command[:1] == ["--"] else arguments.command
    if not command:
        parser.error("give a command after --")
    with RayCluster(arguments.nodes, arguments.cpus, arguments.object_store_mb) as cluster:
        print(f"ray_cluster: {arguments.nodes} nodes at {cluster.address}", file=sys.stderr)
        return subprocess.run(command, env={**os.environ, "RAY_ADDRESS": cluster.address}).returncode


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main())
