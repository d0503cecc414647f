"""Start ``python -m minilm serve`` as a subprocess and talk to it: what the
tests, the serving benchmark and chapter 12's notebook use.

>>> server = start_server(["model.safetensors"])        # doctest: +SKIP
>>> server.post("/v1/generate", {"prompt": "ROMEO:"})   # doctest: +SKIP
(200, {...}, {'model': 'model', 'text': ..., ...})
>>> server.stop()                                       # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Server", "start_server"]


@dataclass
class Server:
    """A running server: its base URL (``http://127.0.0.1:PORT``) and process."""

    url: str
    process: subprocess.Popen

    def request(self, method: str, path: str, body=None, headers=None, raw: bytes | None = None,
                timeout: float = 120.0):  # fmt: skip
        """``(status, headers, body)`` of one request; the body parsed when it is JSON.
        Header names are lower-case."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, hdrs, payload = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, payload = e.code, e.headers, e.read()
        hdrs = {k.lower(): v for k, v in hdrs.items()}
        kind = hdrs.get("content-type", "")
        return status, hdrs, json.loads(payload) if "json" in kind else payload.decode()

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, body, **kw):
        return self.request("POST", path, body, **kw)

    def rss_bytes(self) -> int:
        """The server process's resident memory (Linux only)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS line in /proc/PID/status")

    def stop(self) -> None:
        """Stop the server (SIGTERM: uvicorn shuts down cleanly), then reap it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for f in (self.process.stdout, self.process.stderr):
            if f is not None:
                f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_server(paths, *options, env: dict | None = None, timeout: float = 60.0,
                 threads: int | None = 1) -> Server:  # fmt: skip
    """Run ``python -m minilm serve PATHS --port 0 OPTIONS`` on a free loopback
    port and wait until ``/healthz`` answers. ``threads`` sets the server's BLAS
    threads (1: one core, as on a small machine; None: the library's default).
    Its standard error goes to a temporary file, kept when it fails to start."""
    import tempfile

    cmd = [sys.executable, "-m", "minilm", "serve", *map(str, paths), "--port", "0", *options]
    environ = {**os.environ, **(env or {})}
    if threads is not None:
        environ["OPENBLAS_NUM_THREADS"] = environ["OMP_NUM_THREADS"] = str(threads)
    errors = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True, env=environ)
    line = proc.stdout.readline()  # "minilm serve: http://127.0.0.1:PORT/ serving ..."
    if not line.startswith("minilm serve: http://"):
        proc.wait(timeout=30)
        errors.seek(0)
        raise RuntimeError(f"the server did not start:\n{line}{errors.read()}")
    server = Server(line.split()[2].rstrip("/"), proc)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(server.url + "/healthz", timeout=5) as r:
                if r.status == 200:
                    return server
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                server.stop()
                raise RuntimeError(f"the server at {server.url} never became healthy") from None
            time.sleep(0.05)
