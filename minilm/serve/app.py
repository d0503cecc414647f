"""The HTTP API: an ASGI application on Starlette (run by uvicorn, see
:mod:`minilm.commands.serve`), with Prometheus metrics.

Endpoints (the README's "Serving" section shows each)::

    GET  /healthz        liveness, no token needed
    GET  /v1/models      what is served: name, task, family, context, labels, size
    POST /v1/generate    a continuation; "stream": true sends it token by token
                         as server-sent events (event: token ... event: done)
    POST /v1/translate   a translation with its attention matrix
    POST /v1/classify    a label with every label's probability
    GET  /metrics        Prometheus text format
    GET  /               the playground page; its files under /static/<name>

Every bad request is a 4xx with ``{"error": {"type", "field", "message"}}``,
never a 500 or a hung connection. What a deployment needs: an optional bearer
token (compared in constant time) on everything but the health check and the
page's files; a per-client token bucket (:mod:`minilm.serve.ratelimit`) keyed
by the verified token, else by the client's address (an unverified token is
not a key: a client could mint fresh buckets); size limits on the body, the
prompt, the tokens asked for and the beam; a bounded queue (503 when full).
The page's files are read once at start into a table; no endpoint reads a
path from the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import math
import time
from dataclasses import dataclass
from importlib import resources

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .batching import BatchScheduler, Sequence
from .engine import TOP_ALTERNATIVES, Generator, make_sampler
from .ratelimit import RateLimiter

__all__ = ["ServerConfig", "create_app", "ApiError"]

# below this, logits / temperature can overflow float64 (the softmax is NaN); above it,
# the distribution is uniform to many digits already
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.01, 100.0

ENDPOINTS = (
    "/healthz",
    "/v1/models",
    "/v1/generate",
    "/v1/translate",
    "/v1/classify",
    "/metrics",
    "/",
    "/static",
)


@dataclass
class ServerConfig:
    """What a deployment decides: access, rates and sizes."""

    token: str | None = None  # bearer token; None: no authentication
    rate: float = 20.0  # requests per second per client, sustained ...
    burst: int = 40  # ... and at once
    max_clients: int = 10_000  # rate-limit buckets kept (least recent forgotten)
    max_body_bytes: int = 64 * 1024
    max_prompt_bytes: int = 4096  # also the limit on text to translate or classify
    max_new_tokens: int = 1024
    max_beam: int = 8
    body_seconds: float = 10.0  # a client has this long to send its request's body (else 408)


class ApiError(Exception):
    """A request the server refuses: HTTP ``status`` with a JSON error body."""

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        kind: str = "invalid_request",
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.field, self.kind = status, message, field, kind
        self.headers = headers

    def response(self) -> JSONResponse:
        body = {"error": {"type": self.kind, "field": self.field, "message": self.message}}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


class Metrics:
    """The server's Prometheus metrics, in a registry of its own."""

    def __init__(self):
        r = self.registry = CollectorRegistry()
        self.requests = Counter(
            "minilm_requests",
            "HTTP requests by endpoint and status",
            ["endpoint", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "minilm_request_seconds",
            "time to the last byte of a response",
            ["endpoint"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.first_token = Histogram(
            "minilm_time_to_first_token_seconds",
            "from a generate request's arrival to its first token",
            ["model"],
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.tokens = Counter("minilm_generated_tokens", "tokens generated", ["model"], registry=r)
        self.batch = Histogram(
            "minilm_decode_batch_size",
            "sequences advanced by one batched step",
            ["model"],
            registry=r,
            buckets=(1, 2, 4, 8, 16, 32, 64),
        )
        self.queue = Gauge(
            "minilm_queue_depth", "generate requests waiting for a slot", ["model"], registry=r
        )
        self.running = Gauge(
            "minilm_running_sequences", "sequences being generated", ["model"], registry=r
        )
        self.perplexity = Gauge(
            "minilm_prompt_perplexity",
            "perplexity of the recent prompts under the model (drift)",
            ["model"],
            registry=r,
        )
        self.disconnects = Counter(
            "minilm_client_disconnects",
            "generations stopped because the client went away",
            ["model"],
            registry=r,
        )
        self.zero_probability = Counter(
            "minilm_zero_probability_prompts",
            "prompts the model gives probability 0 (left out of the prompt perplexity)",
            ["model"],
            registry=r,
        )
        self.rate_limited = Counter(
            "minilm_rate_limited", "requests refused by the rate limit", registry=r
        )

    def watch(self, gen: Generator) -> None:
        """Gauges that read a generator's scheduler and drift window when scraped."""
        s = gen.scheduler
        self.queue.labels(gen.name).set_function(lambda: s.depth)
        self.running.labels(gen.name).set_function(lambda: len(s.running))
        self.perplexity.labels(gen.name).set_function(lambda: gen.drift.value)
        gen.on_zero_probability = self.zero_probability.labels(gen.name).inc
        many, hist = s.many, self.batch.labels(gen.name)

        def counted(tokens, states):
            hist.observe(len(tokens))
            return many(tokens, states)

        s.many = counted


class Metered:
    """ASGI middleware: count every response by endpoint and status, time it."""

    def __init__(self, app, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        endpoint = "/static" if path.startswith("/static/") else path
        endpoint = endpoint if endpoint in ENDPOINTS else "other"  # bounded label values
        status = 500

        async def send_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        t0 = time.perf_counter()
        try:
            await self.app(scope, receive, send_status)
        finally:
            self.metrics.requests.labels(endpoint, str(status)).inc()
            self.metrics.latency.labels(endpoint).observe(time.perf_counter() - t0)


# ---- reading and checking a request ----

_KINDS = {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}


def _field(body: dict, name: str, kind, default=None, required: bool = False, nullable=False):
    if name not in body or (body[name] is None and nullable):
        if required:
            raise ApiError(400, f"'{name}' is required", name)
        return default
    value = body[name]
    ok = type(value) is kind or (kind is float and type(value) is int)
    if not ok:
        got = "null" if value is None else type(value).__name__
        raise ApiError(400, f"'{name}' must be {_KINDS[kind]}, got {got}", name)
    if kind is float:
        try:
            value = float(value)  # a 400-digit integer does not fit
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise ApiError(400, f"'{name}' must be a finite number", name)
    return value


def _only(body: dict, known: tuple) -> None:
    unknown = sorted(set(body) - set(known))
    if unknown:
        raise ApiError(
            400, f"unknown field '{unknown[0]}'; the fields are {', '.join(known)}", unknown[0]
        )


def _text(body, name: str, limit: int, required: bool = True) -> str:
    value = _field(body, name, str, required=required, default="")
    try:
        size = len(value.encode())
    except UnicodeEncodeError:  # JSON can carry a lone surrogate ("\ud800"); UTF-8 cannot
        raise ApiError(
            400, f"'{name}' is not valid Unicode text (a lone surrogate)", name
        ) from None
    if size > limit:
        raise ApiError(413, f"'{name}' is {size} bytes; the limit is {limit}", name, "too_large")
    return value


def create_app(models: dict, config: ServerConfig | None = None) -> Starlette:
    """The ASGI app serving ``models`` ({name: a :class:`Generator` or
    :class:`~minilm.serve.engine.Served`}, in the order given)."""
    config = config or ServerConfig()
    metrics = Metrics()
    limiter = RateLimiter(config.rate, config.burst, config.max_clients)
    static = _static_files()
    for m in models.values():
        if isinstance(m, Generator):
            metrics.watch(m)

    def guard(request: Request, authenticate: bool = True) -> None:
        key = None
        if config.token is not None and authenticate:
            header = request.headers.get("authorization", "")
            scheme, _, given = header.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), config.token.encode()
            ):  # a wrong guess counts against the guesser's address
                limited("addr:" + (request.client.host if request.client else "?"))
                raise ApiError(
                    401,
                    "a valid 'Authorization: Bearer TOKEN' header is required",
                    None,
                    "unauthorized",
                    {"WWW-Authenticate": "Bearer"},
                )
            key = "token:" + config.token
        limited(key or "addr:" + (request.client.host if request.client else "?"))

    def limited(key: str) -> None:
        wait = limiter.check(key)
        if wait:
            metrics.rate_limited.inc()
            raise ApiError(
                429,
                f"rate limit: retry in {wait:.2f} s",
                None,
                "rate_limited",
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )

    async def read_json(request: Request) -> dict:
        limit = config.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise ApiError(413, f"the body is over the limit of {limit} bytes", None, "too_large")
        chunks = []

        async def read():
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ApiError(
                        413, f"the body is over the limit of {limit} bytes", None, "too_large"
                    )
                chunks.append(chunk)

        try:  # a client that never finishes its body does not hold a connection forever
            await asyncio.wait_for(read(), config.body_seconds)
        except asyncio.TimeoutError:
            raise ApiError(
                408, f"the body did not arrive in {config.body_seconds:g} s", None, "timeout"
            ) from None
        try:
            body = json.loads(b"".join(chunks))
        except (ValueError, RecursionError) as e:
            raise ApiError(400, f"the body is not valid JSON: {e}") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the body must be a JSON object")
        return body

    def pick(body: dict, task: str):
        name = _field(body, "model", str, nullable=True)
        if name is None:
            for m in models.values():
                if m.task == task:
                    return m
            raise ApiError(404, f"no {task} model is served", "model", "not_found")
        m = models.get(name)
        if m is None or m.task != task:
            served = [n for n, m in models.items() if m.task == task]
            raise ApiError(
                404, f"no {task} model named {name!r}; served: {served}", "model", "not_found"
            )
        return m

    async def healthz(request):
        return JSONResponse({"status": "ok"})

    async def list_models(request):
        guard(request)
        return JSONResponse({"models": [m.describe() for m in models.values()]})

    async def metrics_endpoint(request):
        guard(request)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def generate(request):
        arrived = time.perf_counter()
        guard(request)
        body = await read_json(request)
        fields = (
            "model",
            "prompt",
            "max_new_tokens",
            "temperature",
            "top_k",
            "top_p",
            "seed",
            "stream",
        )
        _only(body, fields)
        gen = pick(body, "generate")
        prompt = _text(body, "prompt", config.max_prompt_bytes)
        n = _field(body, "max_new_tokens", int, 64)
        if not 1 <= n <= config.max_new_tokens:
            raise ApiError(
                400,
                f"'max_new_tokens' must be from 1 to {config.max_new_tokens}, got {n}",
                "max_new_tokens",
            )
        temperature = _field(body, "temperature", float, 1.0)
        if not (temperature == 0 or MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE):
            raise ApiError(
                400,
                f"'temperature' must be 0 (greedy) or from {MIN_TEMPERATURE} to "
                f"{MAX_TEMPERATURE}, got {temperature}",
                "temperature",
            )
        top_k = _field(body, "top_k", int, nullable=True)
        if top_k is not None and top_k < 1:
            raise ApiError(400, f"'top_k' must be >= 1, got {top_k}", "top_k")
        top_p = _field(body, "top_p", float, nullable=True)
        if top_p is not None and not 0 < top_p <= 1:
            raise ApiError(400, f"'top_p' must be in (0, 1], got {top_p}", "top_p")
        seed = _field(body, "seed", int, nullable=True)
        if seed is not None and not 0 <= seed < 2**63:
            raise ApiError(400, f"'seed' must be from 0 to 2**63 - 1, got {seed}", "seed")
        stream = _field(body, "stream", bool, False)
        try:
            ids, stop, decode = gen.encode(prompt)
        except ValueError as e:
            raise ApiError(422, str(e), "prompt", "unreadable_text") from None
        if gen.context is not None and len(ids) > gen.context:
            raise ApiError(
                400,
                f"the prompt is {len(ids)} tokens; this model reads at most {gen.context}",
                "prompt",
            )
        run = _Run(gen, decode, asyncio.get_running_loop(), metrics, arrived)
        seq = Sequence(
            ids,
            n,
            stop,
            choose=make_sampler(temperature, top_k, top_p, seed),
            on_token=run.on_token,
        )
        try:
            gen.scheduler.submit(seq)
        except BatchScheduler.QueueFull as e:
            raise ApiError(
                503, f"the server is busy ({e}); retry later", None, "busy", {"Retry-After": "1"}
            ) from None
        if stream:
            return StreamingResponse(
                run.events(seq),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-store"},
            )
        tokens, done = await run.collect(seq, request)
        if done is None:  # the client went away
            return Response(status_code=499)
        if "error" in done:
            return ApiError(500, done["error"]["message"], None, "model_error").response()
        return JSONResponse({"model": gen.name, **done, "tokens": tokens})

    async def translate(request):
        guard(request)
        body = await read_json(request)
        _only(body, ("model", "text", "beam_size"))
        served = pick(body, "translate")
        text = _text(body, "text", config.max_prompt_bytes)
        beam = _field(body, "beam_size", int, 0)
        if not 0 <= beam <= config.max_beam:
            raise ApiError(
                400,
                f"'beam_size' must be from 0 (greedy) to {config.max_beam}, got {beam}",
                "beam_size",
            )
        try:
            out = await run_in_threadpool(served, "translate", text, beam_size=beam)
        except ValueError as e:
            raise ApiError(422, str(e), "text", "unreadable_text") from None
        return JSONResponse({"model": served.name, **out})

    async def classify(request):
        guard(request)
        body = await read_json(request)
        _only(body, ("model", "text"))
        served = pick(body, "classify")
        text = _text(body, "text", config.max_prompt_bytes)
        try:
            (out,) = await run_in_threadpool(served, "classify", [text])
        except ValueError as e:
            raise ApiError(422, str(e), "text", "unreadable_text") from None
        return JSONResponse({"model": served.name, **out})

    async def page(request):
        return await static_file(request, "index.html")

    async def static_file(request, name: str | None = None):
        guard(request, authenticate=False)
        found = static.get(name or request.path_params["name"])
        if found is None:
            raise ApiError(404, "no such file", None, "not_found")
        content, media = found
        return Response(content, media_type=media, headers=_PAGE_HEADERS)

    async def api_error(request, exc: ApiError):
        return exc.response()

    async def http_error(request, exc: HTTPException):
        kind = "not_found" if exc.status_code == 404 else "invalid_request"
        return ApiError(exc.status_code, str(exc.detail), None, kind).response()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        for m in models.values():  # stop the batching threads
            if isinstance(m, Generator):
                m.scheduler.close()

    routes = [
        Route("/healthz", healthz),
        Route("/v1/models", list_models),
        Route("/v1/generate", generate, methods=["POST"]),
        Route("/v1/translate", translate, methods=["POST"]),
        Route("/v1/classify", classify, methods=["POST"]),
        Route("/metrics", metrics_endpoint),
        Route("/", page),
        Route("/static/{name}", static_file),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={ApiError: api_error, HTTPException: http_error},
    )
    app.state.metrics, app.state.models = metrics, models
    app.add_middleware(Metered, metrics=metrics)
    return app


_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
}
_MEDIA = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def _static_files() -> dict:
    """{file name: (bytes, media type)} of the page's files, read once."""
    folder = resources.files("minilm.serve") / "static"
    out = {}
    if folder.is_dir():
        for f in folder.iterdir():
            suffix = "." + f.name.rsplit(".", 1)[-1] if "." in f.name else ""
            if f.is_file() and suffix in _MEDIA:
                out[f.name] = (f.read_bytes(), _MEDIA[suffix])
    return out


class _Run:
    """One generate request's side of the scheduler: the scheduler thread calls
    :meth:`on_token`, which hands each event to the request's event loop."""

    def __init__(self, gen: Generator, decode, loop, metrics: Metrics, arrived: float):
        self.gen, self.decode, self.loop, self.metrics = gen, decode, loop, metrics
        self.arrived, self.queue, self.shown = arrived, asyncio.Queue(), ""

    def on_token(self, seq: Sequence, token, logits) -> None:  # in the scheduler's thread
        if token is None:  # the model raised
            event = (
                "error",
                {
                    "error": {
                        "type": "model_error",
                        "field": None,
                        "message": f"{type(seq.error).__name__}: {seq.error}",
                    }
                },
            )
            return self._put(event)
        if len(seq.generated) == 1:
            self.metrics.first_token.labels(self.gen.name).observe(
                time.perf_counter() - self.arrived
            )
        self.metrics.tokens.labels(self.gen.name).inc()
        text = self.decode(seq.generated)
        if text.endswith("\ufffd") and seq.finish_reason is None:
            delta = ""  # a character's bytes are not all here yet: hold them back
        else:
            delta, self.shown = text[len(self.shown) :], text
        probs = seq.choose.probs
        top = probs.argsort()[::-1][:TOP_ALTERNATIVES]
        tok = {
            "id": int(token),
            "text": delta,
            "prob": float(probs[token]),
            "top": [{"text": self.gen.token_text(int(i)), "prob": float(probs[i])} for i in top],
        }
        self._put(("token", tok))
        if seq.finish_reason is not None:
            usage = {"prompt_tokens": len(seq.prompt), "completion_tokens": len(seq.generated)}
            mean = seq.prompt_nats / seq.prompt_scored if seq.prompt_scored else math.nan
            # null when unscored, or infinite (a model that gives the prompt probability 0)
            ppl = math.exp(mean) if math.isfinite(mean) and mean < 700 else None
            self._put(
                (
                    "done",
                    {
                        "text": text,
                        "finish_reason": seq.finish_reason,
                        "usage": usage,
                        "prompt_perplexity": ppl,
                    },
                )
            )

    def _put(self, event) -> None:
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, event)
        except RuntimeError:  # the server's loop is closed: nobody is listening
            pass

    async def events(self, seq: Sequence):
        """The server-sent events of a streamed request. If the client goes away
        the stream is cancelled, and the sequence with it (its slot is freed)."""
        try:
            while True:
                kind, data = await self.queue.get()
                yield f"event: {kind}\ndata: {json.dumps(data, allow_nan=False)}\n\n"
                if kind != "token":
                    return
        finally:
            self._abandon(seq)

    async def collect(self, seq: Sequence, request: Request):
        """(token events, the done event) of a request that is not streamed;
        (.., None) if the client disconnected first."""
        tokens, checked = [], time.monotonic()
        try:
            while True:
                try:
                    kind, data = await asyncio.wait_for(self.queue.get(), timeout=0.5)
                except asyncio.TimeoutError:
                    kind = None
                if time.monotonic() - checked > 0.5:  # tokens may come all the time: look anyway
                    if await request.is_disconnected():
                        return tokens, None
                    checked = time.monotonic()
                if kind is None:
                    continue
                if kind == "token":
                    tokens.append(data)
                else:
                    return tokens, data
        finally:
            self._abandon(seq)

    def _abandon(self, seq: Sequence) -> None:
        if seq.finish_reason is None and not seq.cancelled:
            self.gen.scheduler.cancel(seq)
            self.metrics.disconnects.labels(self.gen.name).inc()
