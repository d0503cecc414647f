"""Fixtures for the server's tests: small model files made in a moment, and a
real server started as a subprocess on a free loopback port.

``serve(paths, *options)`` starts ``python -m minilm serve PATHS --port 0
OPTIONS`` and returns a :class:`Server` (its base URL, its process); it is
stopped when the test ends. The models are untrained (their weights are
seeded), which is all that serving needs: tests compare what the server
returns with the same model run in the test's own process.
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

import pytest

import minilm
from minilm.checkpoint import save_model
from minilm.data import load_names, load_text
from minilm.models import GPT, RNNLM, GPTConfig, RNNLMConfig
from minilm.text import CharTokenizer

pytest.importorskip("starlette", reason="the server needs the [serve] extra")
pytest.importorskip("uvicorn", reason="the server needs the [serve] extra")
pytest.importorskip("prometheus_client", reason="the server needs the [serve] extra")

SHAKESPEARE_CONTEXT = 64


def shakespeare_tokenizer() -> CharTokenizer:
    return CharTokenizer.from_text(load_text("tinyshakespeare"))


def make_gpt(seed: int = 0) -> tuple[GPT, CharTokenizer]:
    tok = shakespeare_tokenizer()
    minilm.manual_seed(seed)
    config = GPTConfig(vocab_size=tok.vocab_size, block_size=SHAKESPEARE_CONTEXT, n_layer=2,
                       n_head=2, n_embd=32)  # fmt: skip
    return GPT(config), tok


@pytest.fixture(scope="session")
def model_files(tmp_path_factory) -> dict:
    """{"gpt": a char GPT file (running text), "names": a char GRU file of
    records (names, each between "." marks: generation stops at its end), as
    ``python -m minilm train`` writes them}."""
    out = tmp_path_factory.mktemp("models")
    gpt, tok = make_gpt()
    save_model(out / "shakespeare.safetensors", gpt, {"text": tok},
               text={"source": "tinyshakespeare", "split": "fixed", "stream": True,
                     "start_id": 0})  # fmt: skip
    ntok = CharTokenizer.from_text("." + "".join(load_names()))  # "." marks a name's ends
    minilm.manual_seed(1)
    rnn = RNNLM(RNNLMConfig(vocab_size=ntok.vocab_size, embed_dim=8, hidden_size=16,
                            cell="gru"))  # fmt: skip
    save_model(out / "names.safetensors", rnn, {"text": ntok},
               text={"source": "names", "split": "fixed", "stream": False, "boundary": ".",
                     "start_id": 0})  # fmt: skip
    return {"gpt": out / "shakespeare.safetensors", "names": out / "names.safetensors"}


@dataclass
class Server:
    url: str
    process: subprocess.Popen

    def request(self, method: str, path: str, body=None, headers=None, raw: bytes | None = None):
        """(status, headers, parsed JSON or text) of one request."""
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, hdrs, payload = r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, payload = e.code, dict(e.headers), e.read()
        kind = hdrs.get("content-type", "")
        return status, hdrs, json.loads(payload) if "json" in kind else payload.decode()

    def post(self, path: str, body, **kw):
        return self.request("POST", path, body, **kw)

    def rss_bytes(self) -> int:
        """The server process's resident memory (Linux)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")


def start_server(paths, *options, env=None, timeout: float = 60.0) -> Server:
    cmd = [sys.executable, "-m", "minilm", "serve", *map(str, paths), "--port", "0", *options]
    environ = {**os.environ, "OPENBLAS_NUM_THREADS": "1", **(env or {})}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=environ)  # fmt: skip
    line = proc.stdout.readline()  # "minilm serve: http://127.0.0.1:PORT/ serving ..."
    if not line.startswith("minilm serve: http://"):
        proc.kill()
        raise RuntimeError(f"the server did not start: {line}{proc.stderr.read()}")
    url = line.split()[2].rstrip("/")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as r:
                if r.status == 200:
                    return Server(url, proc)
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"the server at {url} never became healthy") from None
            time.sleep(0.1)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture
def serve():
    """``serve(paths, *options) -> Server``, stopped when the test ends."""
    started = []

    def start(paths, *options, env=None):
        server = start_server(paths, *options, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        stop_server(server)
