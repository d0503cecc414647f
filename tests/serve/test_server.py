"""``python -m minilm serve`` over real HTTP: a server subprocess on a free
loopback port (tests/serve/conftest.py), its answers checked against the same
model run here, every kind of bad request refused with a JSON 4xx, the
security settings, streaming, disconnects, metrics, and a bounded load test."""

from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlparse

import numpy as np
import pytest

from minilm import load_model
from minilm.generate import generate
from minilm.models import GPT
from minilm.prompt import neural_setup
from minilm.serve.engine import _to_float64

from .conftest import SHAKESPEARE_CONTEXT

PROMPT = "ROMEO:\nWhat light"


def local_greedy(path, prompt: str, n: int) -> str:
    """The greedy continuation computed in this process, one request alone, float64."""
    model, tok, info = load_model(path)
    _to_float64(model)
    step, ids, stop, decode = neural_setup(model, tok, prompt, info["text"])
    if isinstance(model, GPT):  # rereading the whole context each step: no cache, no batch
        out = model.generate(ids, n, greedy=True, stop_token=stop, use_cache=False)
    else:
        out = generate(step, ids, n, greedy=True, stop_token=stop)
    return decode(out)


def read_events(server, body) -> list[tuple[str, dict]]:
    """The server-sent events of a streamed request, read off a raw socket."""
    raw = stream_socket(server, body)
    buf = b""
    while True:
        chunk = raw.recv(65536)
        if not chunk:
            break
        buf += chunk
    raw.close()
    head, _, rest = buf.partition(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0], head
    assert b"text/event-stream" in head
    return parse_sse(dechunk(rest).decode())


def stream_socket(server, body, extra_headers: str = "") -> socket.socket:
    u = urlparse(server.url)
    data = json.dumps(body).encode()
    s = socket.create_connection((u.hostname, u.port), timeout=60)
    s.sendall(
        f"POST /v1/generate HTTP/1.1\r\nHost: {u.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n{extra_headers}\r\n".encode()
        + data
    )
    return s


def dechunk(body: bytes) -> bytes:
    out = b""
    while body:
        size, _, body = body.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            break
        out, body = out + body[:n], body[n + 2 :]
    return out


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def metric(text: str, name: str, **labels) -> float:
    """The value of one sample in a Prometheus text exposition (0 if absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(name + ("{" + want + "}" if want else " ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


# ---- what it answers ----


def test_health_models_and_greedy_generation(serve, model_files):
    server = serve([model_files["gpt"], model_files["names"]], "--dtype", "float64")
    assert server.request("GET", "/healthz")[2] == {"status": "ok"}
    status, _, listing = server.request("GET", "/v1/models")
    assert status == 200
    by_name = {m["name"]: m for m in listing["models"]}
    assert by_name["shakespeare"]["task"] == "generate"
    assert by_name["shakespeare"]["context"] == SHAKESPEARE_CONTEXT
    gpt, _, _ = load_model(model_files["gpt"])
    assert by_name["shakespeare"]["parameters"] == gpt.num_parameters()

    status, _, out = server.post("/v1/generate", {"prompt": PROMPT, "max_new_tokens": 20,
                                                  "temperature": 0})  # fmt: skip
    assert status == 200, out
    assert out["text"] == local_greedy(model_files["gpt"], PROMPT, 20)
    assert out["finish_reason"] == "length" and out["usage"]["completion_tokens"] == 20
    assert "".join(t["text"] for t in out["tokens"]) == out["text"]
    for t in out["tokens"]:  # greedy: the chosen token is the most likely one
        probs = [a["prob"] for a in t["top"]]
        assert probs == sorted(probs, reverse=True) and t["prob"] == pytest.approx(probs[0])
        assert 0 < t["prob"] <= 1

    # a model of records stops at the record's end; "model" picks it by name
    body = {"model": "names", "prompt": "em", "max_new_tokens": 40, "temperature": 0}
    status, _, out = server.post("/v1/generate", body)
    assert status == 200, out
    assert out["text"] == local_greedy(model_files["names"], "em", 40)
    assert out["finish_reason"] in ("stop", "length") and "." not in out["text"]


def test_prompt_perplexity_is_the_models_own(serve, model_files):
    server = serve([model_files["gpt"]], "--dtype", "float64")
    _, _, out = server.post("/v1/generate", {"prompt": PROMPT, "max_new_tokens": 1})
    model, tok, _ = load_model(model_files["gpt"])
    _to_float64(model)
    import minilm
    import minilm.functional as F

    ids = tok.encode(PROMPT)
    with minilm.no_grad():
        logp = F.log_softmax(model(minilm.tensor([ids]))[0], axis=-1).numpy()
    nats = -np.mean([logp[t, ids[t + 1]] for t in range(len(ids) - 1)])
    assert out["prompt_perplexity"] == pytest.approx(np.exp(nats), rel=1e-9)
    _, _, text = server.request("GET", "/metrics")
    assert metric(text, "minilm_prompt_perplexity", model="shakespeare") == pytest.approx(
        np.exp(nats), rel=1e-9
    )


def test_streaming_gives_the_same_tokens_as_one_response(serve, model_files):
    server = serve([model_files["gpt"]])
    body = {"prompt": PROMPT, "max_new_tokens": 12, "temperature": 0.8, "top_k": 10,
            "top_p": 0.9, "seed": 7}  # fmt: skip
    events = read_events(server, {**body, "stream": True})
    kinds = [k for k, _ in events]
    assert kinds == ["token"] * 12 + ["done"]
    _, _, whole = server.post("/v1/generate", body)
    assert [d["id"] for _, d in events[:-1]] == [t["id"] for t in whole["tokens"]]
    assert "".join(d["text"] for _, d in events[:-1]) == events[-1][1]["text"] == whole["text"]
    # top-k 10: the sampled token's probability is renormalized over at most 10 tokens
    for _, d in events[:-1]:
        assert d["prob"] > 0 and len(d["top"]) == 5
    # the seed decides: another seed, another text (with these settings, surely)
    _, _, other = server.post("/v1/generate", {**body, "seed": 8})
    assert other["text"] != whole["text"]


# ---- what it refuses ----

BAD_REQUESTS = [
    # (body or raw bytes, status, the field named)
    (b"{not json", 400, None),
    (b"[1, 2]", 400, None),
    ({"prompt": 5}, 400, "prompt"),
    ({"prompt": "a", "max_new_tokens": "5"}, 400, "max_new_tokens"),
    ({"prompt": "a", "max_new_tokens": 2.5}, 400, "max_new_tokens"),
    ({"prompt": "a", "max_new_tokens": True}, 400, "max_new_tokens"),
    ({"prompt": "a", "max_new_tokens": 0}, 400, "max_new_tokens"),
    ({"prompt": "a", "max_new_tokens": 10_000}, 400, "max_new_tokens"),
    ({"prompt": "a", "stream": "yes"}, 400, "stream"),
    ({"prompt": "a", "temperature": -0.5}, 400, "temperature"),
    ({"prompt": "a", "temperature": "hot"}, 400, "temperature"),
    ({"prompt": "a", "top_p": 0}, 400, "top_p"),
    ({"prompt": "a", "top_p": 1.5}, 400, "top_p"),
    ({"prompt": "a", "top_k": 0}, 400, "top_k"),
    ({"prompt": "a", "seed": -1}, 400, "seed"),
    ({"prompt": "a", "colour": "red"}, 400, "colour"),
    ({"max_new_tokens": 3}, 400, "prompt"),
    ({"prompt": "a", "model": "nope"}, 404, "model"),
    ({"prompt": "a", "model": 3}, 400, "model"),
    ({"prompt": "x" * (SHAKESPEARE_CONTEXT + 1)}, 400, "prompt"),
    ({"prompt": "x" * 5000}, 413, "prompt"),
    ({"prompt": "héllo ✓"}, 422, "prompt"),
    ({"prompt": "a", "temperature": 1e-308}, 400, "temperature"),  # logits / T would overflow
    (b'{"prompt": "a", "temperature": 1' + b"0" * 400 + b"}", 400, "temperature"),  # no float
    (b'{"prompt": "a", "top_p": 1' + b"0" * 400 + b"}", 400, "top_p"),
    (b'{"prompt": "\\ud800"}', 400, "prompt"),  # a lone surrogate: not text
    (b'{"prompt": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 413, None),  # over 64 KB
    (b'{"prompt": {"nested": [1, 2]}}', 400, "prompt"),
    (b"", 400, None),
]


def test_bad_requests_get_a_json_4xx_naming_the_field(serve, model_files):
    server = serve([model_files["gpt"]], "--max-new-tokens", "512")
    for body, status, field in BAD_REQUESTS:
        raw = body if isinstance(body, bytes) else None
        got, _, out = server.post("/v1/generate", None if raw else body, raw=raw)
        assert got == status, (body, got, out)
        assert out["error"]["field"] == field, (body, out)
        assert out["error"]["message"]
    # too big a body, a wrong method, an unknown route, a translate model that is not served
    got, _, out = server.post("/v1/generate", None, raw=b'{"prompt": "' + b"a" * 70_000 + b'"}')
    assert got == 413 and out["error"]["type"] == "too_large"
    assert server.request("GET", "/v1/generate")[0] == 405
    got, _, out = server.request("GET", "/v1/nothing")
    assert got == 404 and out["error"]["type"] == "not_found"
    got, _, out = server.post("/v1/translate", {"text": "hello"})
    assert got == 404 and out["error"]["field"] == "model"
    got, _, out = server.request("GET", "/static/..%2F..%2Fapp.py")
    assert got == 404
    # after all of that, the server still answers
    assert server.post("/v1/generate", {"prompt": "a", "max_new_tokens": 2})[0] == 200


def test_bearer_token_guards_everything_but_health_and_the_page(serve, model_files):
    server = serve([model_files["gpt"]], env={"MINILM_SERVE_TOKEN": "s3cret"})
    assert server.request("GET", "/healthz")[0] == 200
    assert server.request("GET", "/")[0] in (200, 404)  # the page's files need no token
    for path in ("/v1/models", "/metrics"):
        assert server.request("GET", path)[0] == 401
        assert server.request("GET", path, headers={"Authorization": "Bearer nope"})[0] == 401
        assert server.request("GET", path, headers={"Authorization": "Bearer s3cret"})[0] == 200
    status, hdrs, out = server.post("/v1/generate", {"prompt": "a"})
    assert status == 401 and out["error"]["type"] == "unauthorized"
    assert hdrs.get("www-authenticate") == "Bearer"
    ok = server.post("/v1/generate", {"prompt": "a", "max_new_tokens": 2},
                     headers={"Authorization": "Bearer s3cret"})  # fmt: skip
    assert ok[0] == 200


def test_wrong_tokens_count_against_the_guessers_rate(serve, model_files):
    server = serve([model_files["gpt"]], "--token", "s3cret", "--rate", "0.2", "--burst", "2")
    wrong = {"Authorization": "Bearer guess"}
    statuses = [server.request("GET", "/v1/models", headers=wrong)[0] for _ in range(3)]
    assert statuses == [401, 401, 429]


def test_a_body_that_never_arrives_gets_408_not_a_held_connection(serve, model_files):
    server = serve([model_files["gpt"]], "--body-timeout", "1")
    u = urlparse(server.url)
    s = socket.create_connection((u.hostname, u.port), timeout=30)
    s.sendall(b"POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 50\r\n\r\n{\"prompt\"")  # and then nothing  # fmt: skip
    t0, reply = time.monotonic(), b""
    while b'"timeout"' not in reply and time.monotonic() - t0 < 20:
        chunk = s.recv(65536)  # the head and the body may come in separate packets
        if not chunk:
            break
        reply += chunk
    s.close()
    assert reply.startswith(b"HTTP/1.1 408") and b'"timeout"' in reply, reply[:300]
    assert time.monotonic() - t0 < 10


def test_rate_limit_refuses_with_429_and_retry_after(serve, model_files):
    server = serve([model_files["gpt"]], "--rate", "0.5", "--burst", "3")
    statuses = [server.request("GET", "/v1/models")[0] for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    status, hdrs, out = server.request("GET", "/v1/models")
    assert status == 429 and out["error"]["type"] == "rate_limited"
    assert int(hdrs["retry-after"]) >= 1
    assert server.request("GET", "/healthz")[0] == 200  # health is not rate limited
    text = server.request("GET", "/metrics")
    assert text[0] == 429  # metrics are behind the limit too


def test_binds_to_loopback_by_default(serve, model_files):
    server = serve([model_files["gpt"]])
    assert urlparse(server.url).hostname == "127.0.0.1"


def test_a_client_that_disconnects_mid_stream_frees_its_slot(serve, model_files):
    server = serve([model_files["gpt"]], "--max-batch", "1")
    s = stream_socket(server, {"prompt": PROMPT, "max_new_tokens": 1000, "stream": True})
    got = b""
    while got.count(b"event: token") < 3:
        got += s.recv(4096)
    s.close()  # gone mid-stream
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        text = server.request("GET", "/metrics")[2]
        if metric(text, "minilm_running_sequences", model="shakespeare") == 0:
            break
        time.sleep(0.1)
    assert metric(text, "minilm_running_sequences", model="shakespeare") == 0
    assert metric(text, "minilm_client_disconnects_total", model="shakespeare") == 1
    assert metric(text, "minilm_generated_tokens_total", model="shakespeare") < 1000
    # the one slot is free: the next request is answered at once
    assert server.post("/v1/generate", {"prompt": "a", "max_new_tokens": 3})[0] == 200


def test_a_client_that_disconnects_before_a_whole_reply_frees_its_slot(serve, model_files):
    """Not streamed: the server notices the client left even while tokens keep coming."""
    server = serve([model_files["gpt"]], "--max-batch", "1")
    u = urlparse(server.url)
    data = json.dumps({"prompt": PROMPT, "max_new_tokens": 1024, "temperature": 0}).encode()
    s = socket.create_connection((u.hostname, u.port), timeout=30)
    s.sendall(f"POST /v1/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(data)}\r\n\r\n".encode() + data)  # fmt: skip
    deadline = time.monotonic() + 20
    while metric(server.request("GET", "/metrics")[2], "minilm_generated_tokens_total",
                 model="shakespeare") < 20:  # fmt: skip
        assert time.monotonic() < deadline
        time.sleep(0.05)
    s.close()
    while time.monotonic() < deadline:
        text = server.request("GET", "/metrics")[2]
        if metric(text, "minilm_running_sequences", model="shakespeare") == 0:
            break
        time.sleep(0.1)
    assert metric(text, "minilm_client_disconnects_total", model="shakespeare") == 1
    assert metric(text, "minilm_generated_tokens_total", model="shakespeare") < 1000


def test_a_prompt_of_probability_zero_has_no_perplexity_and_does_not_poison_the_drift(
    serve, tmp_path
):
    from minilm.checkpoint import save_model
    from minilm.ngram import NgramModel

    lm = NgramModel(2, "mle").fit([list("abab"), list("baba")])
    path = tmp_path / "mle.safetensors"
    save_model(path, lm, {}, text={"stream": True})
    server = serve([path])
    status, _, out = server.post("/v1/generate", {"prompt": "abab", "max_new_tokens": 2})
    assert status == 200 and out["prompt_perplexity"] > 0
    status, _, out = server.post("/v1/generate", {"prompt": "aab", "max_new_tokens": 2})
    assert status == 200, out  # "aa" never occurs: probability 0
    assert out["prompt_perplexity"] is None
    events = read_events(server, {"prompt": "aab", "max_new_tokens": 2, "stream": True})
    assert events[-1][0] == "done" and events[-1][1]["prompt_perplexity"] is None
    text = server.request("GET", "/metrics")[2]
    assert np.isfinite(metric(text, "minilm_prompt_perplexity", model="mle"))
    assert metric(text, "minilm_zero_probability_prompts_total", model="mle") == 2


# ---- many clients at once ----


def test_load_no_errors_no_mixups_flat_memory(serve, model_files):
    """A few hundred greedy requests from 6 concurrent clients, batched: every
    response equals the same request computed alone here, nothing fails, and
    the server's resident memory grows by less than 20 MB over the second half."""
    server = serve([model_files["gpt"]], "--dtype", "float64", "--max-batch", "8",
                   "--rate", "10000", "--burst", "10000")  # fmt: skip
    rng = np.random.default_rng(0)
    corpus = "ROMEO:\nBut, soft! what light through yonder window breaks?\nIt is the east.\n"
    jobs = []
    for _ in range(240):
        start = int(rng.integers(0, len(corpus) - 12))
        jobs.append((corpus[start : start + int(rng.integers(1, 12))], int(rng.integers(1, 24))))
    expected = {}
    for prompt, n in set(jobs):
        expected[(prompt, n)] = local_greedy(model_files["gpt"], prompt, n)
    results, errors, rss = [None] * len(jobs), [], {}
    next_job, lock = iter(range(len(jobs))), threading.Lock()

    def client():
        while True:
            with lock:
                i = next(next_job, None)
            if i is None:
                return
            if i == len(jobs) // 2:
                rss["half"] = server.rss_bytes()
            prompt, n = jobs[i]
            status, _, out = server.post("/v1/generate", {"prompt": prompt, "max_new_tokens": n,
                                                          "temperature": 0})  # fmt: skip
            if status != 200:
                errors.append((i, status, out))
            else:
                results[i] = out["text"]

    threads = [threading.Thread(target=client) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    rss["end"] = server.rss_bytes()
    assert not errors, errors[:3]
    wrong = [(jobs[i], r) for i, r in enumerate(results) if r != expected[jobs[i]]]
    assert not wrong, wrong[:3]
    assert rss["end"] - rss["half"] < 20 * 2**20, rss
    text = server.request("GET", "/metrics")[2]
    assert metric(text, "minilm_requests_total", endpoint="/v1/generate", status="200") == 240
    made = sum(len(r) for r in results)  # one character per token
    assert metric(text, "minilm_generated_tokens_total", model="shakespeare") >= made
    # the requests really were batched: some steps advanced several sequences
    one = metric(text, "minilm_decode_batch_size_bucket", model="shakespeare", le="1.0")
    steps = metric(text, "minilm_decode_batch_size_count", model="shakespeare")
    assert steps > 0 and one < steps, (one, steps)


# ---- translation and classification ----


def test_translate_and_classify_answer_what_the_models_answer_here(serve, model_files, task_files):
    from minilm.predict import load_predictor

    server = serve([model_files["gpt"], task_files["translate"], task_files["classify"]])
    tasks = {m["name"]: m["task"] for m in server.get("/v1/models")[2]["models"]}
    assert tasks == {"shakespeare": "generate", "enfr": "translate", "sentiment": "classify"}

    translator = load_predictor(task_files["translate"])
    for beam in (0, 3):
        status, _, out = server.post("/v1/translate", {"text": "I am cold.", "beam_size": beam})
        assert status == 200, out
        want = translator.translate("I am cold.", beam_size=beam)
        assert out["translation"] == want["translation"]
        assert out["target_tokens"] == want["target_tokens"]
        att = np.array(out["attention"])
        assert att.shape == (len(out["target_tokens"]), len(out["source_tokens"]))
        np.testing.assert_allclose(att.sum(axis=1), 1.0, atol=1e-5)

    classifier = load_predictor(task_files["classify"])
    status, _, out = server.post("/v1/classify", {"text": "a wonderful, moving film"})
    assert status == 200, out
    (want,) = classifier.classify(["a wonderful, moving film"])
    assert out["label"] == want["label"] and set(out["probabilities"]) == set(classifier.labels)
    assert sum(out["probabilities"].values()) == pytest.approx(1.0)
    for label, p in want["probabilities"].items():
        assert out["probabilities"][label] == pytest.approx(p, rel=1e-6)

    # their bad input: a JSON 4xx naming the field
    for path, body, status, field in [
        ("/v1/translate", {"text": ""}, 422, "text"),
        ("/v1/translate", {"text": "hi", "beam_size": 99}, 400, "beam_size"),
        ("/v1/translate", {"text": 3}, 400, "text"),
        ("/v1/translate", {"text": "hi", "model": "shakespeare"}, 404, "model"),
        ("/v1/classify", {"text": ["a", "b"]}, 400, "text"),
        ("/v1/classify", {"txt": "a"}, 400, "txt"),
        ("/v1/classify", {"text": "x" * 5000}, 413, "text"),
    ]:
        got, _, out = server.post(path, body)
        assert got == status and out["error"]["field"] == field, (path, body, got, out)
