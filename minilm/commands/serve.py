"""``python -m minilm serve CKPT [CKPT ...]``: serve trained models over HTTP.

Needs the ``[serve]`` extra (``pip install 'minilm[serve]'``: Starlette,
uvicorn, prometheus_client). The API is :mod:`minilm.serve.app`'s; the page
is at ``/``. ``--port 0`` picks a free port; the first line printed names the
address (tests read it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .. import argtypes

TOKEN_ENV = "MINILM_SERVE_TOKEN"


def add_arguments(parser) -> None:
    parser.add_argument(
        "models",
        nargs="+",
        type=argtypes.existing_file,
        metavar="CKPT",
        help="model files from train, translation --save or finetune --save; "
        "each is served under its file name's stem",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1: this machine only; "
        "0.0.0.0 exposes it to the network)",
    )
    parser.add_argument(
        "--port",
        type=argtypes.nonnegative_int,
        default=8000,
        help="TCP port (default 8000; 0: any free port)",
    )
    parser.add_argument(
        "--token",
        default=None,
        help=f"require 'Authorization: Bearer TOKEN' (default: ${TOKEN_ENV} if set, else no token)",
    )
    parser.add_argument(
        "--rate",
        type=argtypes.positive_float,
        default=20.0,
        help="requests per second per client (token bucket; default 20)",
    )
    parser.add_argument(
        "--burst",
        type=argtypes.positive_int,
        default=40,
        help="requests a client may make at once (default 40)",
    )
    parser.add_argument(
        "--max-batch",
        type=argtypes.positive_int,
        default=16,
        help="sequences decoded together (1: one request at a time; default 16)",
    )
    parser.add_argument(
        "--max-waiting",
        type=argtypes.positive_int,
        default=256,
        help="generate requests queued at most before 503 (default 256)",
    )
    parser.add_argument(
        "--max-new-tokens",
        type=argtypes.positive_int,
        default=1024,
        help="the most tokens one request may ask for (default 1024)",
    )
    parser.add_argument(
        "--max-prompt-bytes",
        type=argtypes.positive_int,
        default=4096,
        help="the longest prompt or text, in UTF-8 bytes (default 4096)",
    )
    parser.add_argument(
        "--body-timeout",
        type=argtypes.positive_float,
        default=10.0,
        metavar="SECONDS",
        help="how long a client may take to send a request's body (408 after; default 10)",
    )
    parser.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default="float32",
        help="compute precision (float64: batched and single requests agree to rounding; slower)",
    )
    parser.add_argument("--device", default="cpu", type=argtypes.device, help="cpu or cuda")
    parser.add_argument(
        "--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"]
    )


def main(args) -> int:
    try:
        import uvicorn

        from ..serve.app import ServerConfig, create_app
        from ..serve.engine import load_served
    except ImportError as e:
        print(
            f"serve: error: {e.name} is missing; install the serving extra: "
            "pip install 'minilm[serve]'",
            file=sys.stderr,
        )
        return 2
    from ..io import CheckpointError

    names = [Path(p).name.split(".")[0] for p in args.models]
    if len(set(names)) != len(names):
        print(
            f"serve: error: two model files have the same name ({names}); rename one",
            file=sys.stderr,
        )
        return 2
    models = {}
    try:
        for name, path in zip(names, args.models):
            models[name] = load_served(
                name,
                path,
                device=args.device,
                dtype=args.dtype,
                max_batch=args.max_batch,
                max_waiting=args.max_waiting,
            )
    except (CheckpointError, ValueError) as e:
        print(f"serve: error: {e}", file=sys.stderr)
        return 2
    token = args.token if args.token is not None else os.environ.get(TOKEN_ENV) or None
    config = ServerConfig(
        token=token,
        rate=args.rate,
        burst=args.burst,
        max_prompt_bytes=args.max_prompt_bytes,
        max_new_tokens=args.max_new_tokens,
        body_seconds=args.body_timeout,
    )
    app = create_app(models, config)
    import socket

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as e:
        print(f"serve: error: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 2
    sock.listen(2048)  # before the address is printed: a client may connect at once
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    served = ", ".join(f"{n} ({m.task})" for n, m in models.items())
    locked = "; bearer token required" if token else ""
    print(f"minilm serve: http://{shown}:{port}/ serving {served}{locked}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level=args.log_level, timeout_keep_alive=5, limit_concurrency=1024)
    )
    server.run(sockets=[sock])
    return 0
