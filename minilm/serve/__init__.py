"""Serving a trained model over HTTP (chapter 12): ``python -m minilm serve``.

- :mod:`minilm.serve.app`: the ASGI app (Starlette), its endpoints, checks and metrics;
- :mod:`minilm.serve.engine`: a model file wrapped for its task (generate, translate, classify);
- :mod:`minilm.serve.batching`: continuous batching (:func:`~minilm.serve.batching.batch_step`);
- :mod:`minilm.serve.ratelimit`: token buckets per client;
- :mod:`minilm.serve.client`: start a server on a free port and talk to it.

Importing this package needs nothing beyond the core; :mod:`~minilm.serve.app`
needs the ``[serve]`` extra (Starlette, uvicorn, prometheus_client).
"""
