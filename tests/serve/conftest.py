"""Fixtures for the server's tests: small model files made in a moment, and a
real server started as a subprocess on a free loopback port.

``serve(paths, *options)`` starts ``python -m minilm serve PATHS --port 0
OPTIONS`` (:func:`minilm.serve.client.start_server`) and returns its
:class:`~minilm.serve.client.Server`; it is stopped when the test ends.
The models are untrained (their weights are seeded), which is all that
serving needs: tests compare what the server returns with the same model
run in the test's own process.
"""

from __future__ import annotations

import pytest

import minilm
from minilm.checkpoint import save_model
from minilm.data import load_names, load_text
from minilm.models import GPT, RNNLM, GPTConfig, RNNLMConfig
from minilm.serve.client import start_server
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
        server.stop()


@pytest.fixture(scope="session")
def task_files(tmp_path_factory) -> dict:
    """{"translate": a small untrained eng-fra transformer file, "classify": a small
    untrained sentiment BERT classifier file}, as ``translation --save`` and
    ``finetune --save`` write them."""
    from minilm.models.bert import BERT, BERTClassifier, BERTConfig
    from minilm.models.transformer import Transformer, TransformerConfig
    from minilm.recipes.finetune import TextTask, save_classifier
    from minilm.recipes.translation import TranslationData, save_translator

    out = tmp_path_factory.mktemp("task_models")
    data = TranslationData.load()
    minilm.manual_seed(2)
    config = TransformerConfig(data.src_tok.vocab_size, data.tgt_tok.vocab_size, d_model=16,
                               num_heads=2, num_encoder_layers=1, num_decoder_layers=1,
                               **data.special_ids())  # fmt: skip
    translator = Transformer(config)
    save_translator(out / "enfr.safetensors", translator, data)
    task = TextTask.load()
    minilm.manual_seed(3)
    bert = BERT(BERTConfig(vocab_size=task.tokenizer.vocab_size, max_len=task.max_len,
                           n_layer=1, n_head=2, d_model=8))  # fmt: skip
    save_classifier(out / "sentiment.safetensors", BERTClassifier(bert, num_classes=2), task)
    return {"translate": out / "enfr.safetensors", "classify": out / "sentiment.safetensors"}
