"""Summarization on SciTLDR (abstract -> one-sentence TLDR), scored by ROUGE.

Two kinds of summarizer:

- **extractive**: pick sentences of the abstract. :func:`lead_k` takes the first
  ``k`` (the trivial baseline every table carries); :func:`textrank` takes the
  ``k`` most *central* ones (Mihalcea and Tarau 2004): sentences are the nodes of a
  graph weighted by word overlap, and :func:`pagerank` scores them.
- **abstractive**: write new text. The encoder-decoder
  :class:`~minilm.models.transformer.Transformer` reads the abstract and writes
  the TLDR (:func:`train_seq2seq`, trained with the translation recipe's loop);
  the decoder-only :class:`~minilm.models.gpt.GPT` reads ``abstract <sep> tldr``
  as one sequence and learns to continue after the separator
  (:func:`train_decoder_only`, the GPT recipe's loop, loss on the TLDR only).

:func:`evaluate` trains both, decodes the test split (greedy, or beam search) and
returns a table of ROUGE-1/2/L; ``python -m minilm.summarize [--quick]`` prints
it as markdown and writes it as JSON.

>>> doc = ["Cats purr.", "Cats and dogs purr and bark.", "Dogs bark."]
>>> lead_k(doc), textrank(doc)
(['Cats purr.'], ['Cats and dogs purr and bark.'])
"""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from . import functional as F
from .backend import np
from .data.lm_corpus import CharCorpus
from .data.tasks import load_summarization
from .metrics import corpus_rouge, rouge_tokenize
from .recipes.translation import IGNORE, SPECIALS, TranslationData, train_translation
from .tensor import manual_seed, tensor
from .text import WordTokenizer

__all__ = [
    "lead_k",
    "STOPWORDS",
    "overlap_similarity",
    "similarity_matrix",
    "pagerank",
    "textrank",
    "SummarizerConfig",
    "CONFIGS",
    "SummarizationData",
    "train_seq2seq",
    "summarize_seq2seq",
    "train_decoder_only",
    "tldr_only_loss",
    "summarize_decoder_only",
    "rouge_row",
    "MODELS",
    "evaluate",
    "to_markdown",
    "main",
]

SEP = "<sep>"  # between the abstract and the TLDR in the GPT's sequences

# --- extractive ----------------------------------------------------------------


def lead_k(sentences: list[str], k: int = 1) -> list[str]:
    """The first ``k`` sentences (all of them when there are fewer).

    >>> lead_k(["One.", "Two.", "Three."], k=2)
    ['One.', 'Two.']
    """
    if k < 1:
        raise ValueError(f"lead_k: k must be >= 1, got {k}")
    return list(sentences[:k])


# Function words left out of TextRank's overlap: without them every pair of
# sentences would share "the" and "of", and the graph would be nearly uniform.
STOPWORDS = frozenset(
    "a an and are as at be been but by can for from has have in into is it its of on or "
    "our that the their these this those to via was we were which while with".split()
)


def _content_words(sentence: str) -> list[str]:
    return [w for w in rouge_tokenize(sentence) if w not in STOPWORDS]


def overlap_similarity(a: list[str], b: list[str]) -> float:
    """TextRank's sentence similarity (Mihalcea and Tarau 2004, eq. 2) of two
    token lists: the number of distinct words in both, over
    ``log(len(a)) + log(len(b))``, so long sentences do not win by length alone.
    The denominator is floored at ``log 2`` (two one-word sentences would divide
    by 0); an empty sentence is similar to nothing.

    >>> round(overlap_similarity("cats purr".split(), "cats and dogs purr".split()), 4)
    0.9618
    """
    if not a or not b:
        return 0.0
    shared = len(set(a) & set(b))
    return shared / max(math.log(len(a)) + math.log(len(b)), math.log(2))


def similarity_matrix(sentences: list[str]) -> np.ndarray:
    """(n, n) :func:`overlap_similarity` of every pair of sentences, on their
    :func:`~minilm.metrics.rouge_tokenize` tokens without :data:`STOPWORDS`;
    the diagonal is 0 (no self-loops)."""
    words = [_content_words(s) for s in sentences]
    n = len(words)
    W = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            W[i, j] = W[j, i] = overlap_similarity(words[i], words[j])
    return W


def pagerank(weights, damping: float = 0.85, tol: float = 1e-10, max_iter: int = 1000):
    """PageRank scores of a weighted graph, by power iteration; they sum to 1.

    ``weights`` (n, n): ``weights[i, j] >= 0`` is the edge from node i to node j.
    A walker at i moves to j with probability ``weights[i, j] / sum_j weights[i, j]``
    (a node without edges sends it anywhere, uniformly), and with probability
    ``1 - damping`` jumps to a uniformly random node instead. The scores ``s`` are
    that walk's stationary distribution::

        s = (1 - damping) / n + damping * P^T s        (P: the row-normalized weights)

    Starting from the uniform vector, each iteration applies the right-hand side.
    The map is a contraction by ``damping`` in the L1 norm, so the change shrinks
    at least 0.85-fold per step: iteration stops once the L1 change is below
    ``tol`` (at most ``log(tol / 2) / log(damping)`` steps, about 150 for the
    defaults), and ``max_iter`` steps without that raise a ``RuntimeError``.

    (Mihalcea and Tarau write ``1 - d`` rather than ``(1 - d) / n``: n times these
    scores, the same ranking.)

    >>> pagerank([[0, 1], [1, 0]]).tolist()
    [0.5, 0.5]
    """
    W = np.asarray(weights, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"pagerank: weights must be a square (n, n) matrix, got shape {W.shape}")
    if (W < 0).any():
        raise ValueError("pagerank: weights must be >= 0")
    if not 0 <= damping < 1:
        raise ValueError(f"pagerank: damping must be in [0, 1), got {damping}")
    n = W.shape[0]
    if n == 0:
        return np.zeros(0)
    out = W.sum(axis=1, keepdims=True)  # (n, 1)
    P = np.where(out > 0, W / np.where(out > 0, out, 1.0), 1.0 / n)  # rows sum to 1
    s = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        new = (1 - damping) / n + damping * (P.T @ s)
        if np.abs(new - s).sum() < tol:
            return new
        s = new
    raise RuntimeError(f"pagerank: no convergence to tol={tol} in {max_iter} iterations")


def textrank(sentences: list[str], k: int = 1, damping: float = 0.85) -> list[str]:
    """The ``k`` most central sentences, in document order: :func:`pagerank` over
    :func:`similarity_matrix`. Scores equal to 12 decimals are ties, which go to
    the earlier sentence (so a document whose sentences share no words gives
    :func:`lead_k`).

    >>> textrank(["Dogs bark.", "Cats purr.", "Cats and dogs purr and bark."], k=2)
    ['Dogs bark.', 'Cats and dogs purr and bark.']
    """
    if k < 1:
        raise ValueError(f"textrank: k must be >= 1, got {k}")
    scores = pagerank(similarity_matrix(sentences), damping)
    order = sorted(range(len(sentences)), key=lambda i: (-round(float(scores[i]), 12), i))
    return [sentences[i] for i in sorted(order[:k])]


# --- abstractive: data -----------------------------------------------------------


@dataclass
class SummarizerConfig:
    """Sizes for both abstractive models and their training.

    The encoder-decoder has ``layers`` encoder and ``layers`` decoder blocks; the
    GPT has ``2 * layers`` blocks of the same width, so the two are about the same
    size. Sources keep their first ``max_src`` word tokens, targets their first
    ``max_tgt``; decoding writes at most ``max_tgt + 1`` tokens (room for a
    full-length TLDR and its EOS)."""

    max_src: int = 96  # word tokens of the abstract kept (about half: the median is 183)
    max_tgt: int = 32  # TLDR tokens kept (the median train TLDR has 21, 90% fit in 35)
    min_count: int = 5  # rarer train words become <unk> (4,892 tokens with the specials)
    d_model: int = 128
    num_heads: int = 4
    layers: int = 2
    dropout: float = 0.1
    steps: int = 300
    batch_size: int = 32
    lr: float = 2e-3
    warmup: int = 30
    beam_size: int | None = 4  # None or 0: greedy
    length_penalty: float = 1.0
    seed: int = 0


# "default": what `python -m minilm.summarize` measures; "quick": tests and notebooks
# (seconds on a few records, numbers meaningless).
CONFIGS = {
    "default": SummarizerConfig(),
    "quick": SummarizerConfig(max_src=24, max_tgt=8, min_count=1, d_model=16, num_heads=2,
                              layers=1, steps=3, batch_size=4, warmup=1, beam_size=2),
}  # fmt: skip


@dataclass
class SummarizationData:
    """SciTLDR records by split and one lower-cased word tokenizer for sources and
    targets (fit on the train abstracts and TLDRs; specials ``<pad> <bos> <eos>
    <unk> <sep>``). ``config`` says how much of each text is kept."""

    tok: WordTokenizer
    records: dict
    config: SummarizerConfig

    @classmethod
    def load(cls, config: SummarizerConfig, limit: int | None = None,
             splits=("train", "test")) -> SummarizationData:  # fmt: skip
        """The ``splits`` of :func:`~minilm.data.tasks.load_summarization` (the first
        ``limit`` records of each, for quick runs); the tokenizer sees train only."""
        records = {s: load_summarization(s)[:limit] for s in splits}
        text = "\n".join(" ".join(r["source"]) + "\n" + r["targets"][0] for r in records["train"])
        tok = WordTokenizer.from_text(text, min_count=config.min_count,
                                      specials=(*SPECIALS, SEP), lower=True)  # fmt: skip
        return cls(tok, records, config)

    def source(self, record) -> str:
        """The abstract's first ``max_src`` tokens, joined by spaces (the tokenizer
        reads them back as the same tokens)."""
        return " ".join(self.tok.tokenize(" ".join(record["source"]))[: self.config.max_src])

    def target(self, record) -> str:
        """The primary TLDR's first ``max_tgt`` tokens, joined by spaces."""
        return " ".join(self.tok.tokenize(record["targets"][0])[: self.config.max_tgt])

    def pairs(self, split: str) -> list[tuple[str, str]]:
        """(source, target) texts of a split, truncated."""
        return [(self.source(r), self.target(r)) for r in self.records[split]]

    def translation_data(self) -> TranslationData:
        """The train pairs as :class:`~minilm.recipes.translation.TranslationData`
        (one tokenizer on both sides), so the translation recipe's batches and
        training loop serve unchanged."""
        return TranslationData(self.tok, self.tok, {"train": self.pairs("train")})

    def id(self, token: str) -> int:
        return self.tok.vocab.stoi[token]

    def text(self, ids) -> str:
        """Token ids as text for ROUGE: special tokens and ``<unk>`` dropped."""
        drop = {self.id(t) for t in (*SPECIALS, SEP, "<unk>")}
        return " ".join(self.tok.vocab.decode([i for i in ids if i not in drop]))


def _beam(config: SummarizerConfig, beam_size) -> int | None:
    beam = config.beam_size if beam_size == "config" else beam_size
    return beam or None


# --- abstractive: the encoder-decoder --------------------------------------------


def train_seq2seq(data: SummarizationData, progress: bool = False):
    """``(model, history)``: a fresh encoder-decoder
    :class:`~minilm.models.transformer.Transformer` (weights drawn after
    ``manual_seed(config.seed)``) trained on the train (abstract, TLDR) pairs by
    :func:`minilm.recipes.translation.train_translation`: teacher-forced
    cross-entropy over the TLDR tokens and EOS, AdamW with warmup and cosine
    decay, gradient clipping at 1."""
    from .models.transformer import Transformer, TransformerConfig

    c = data.config
    manual_seed(c.seed)
    V = data.tok.vocab_size
    positions = max(c.max_src, c.max_tgt + 1) + 1  # source + EOS; BOS + target + EOS slot
    model = Transformer(TransformerConfig(V, V, d_model=c.d_model, num_heads=c.num_heads,
                                          num_encoder_layers=c.layers, num_decoder_layers=c.layers,
                                          dropout=c.dropout, max_len=positions,
                                          pad_id=data.id("<pad>"), bos_id=data.id("<bos>"),
                                          eos_id=data.id("<eos>")))  # fmt: skip
    history = train_translation(model, data.translation_data(), c.steps, batch_size=c.batch_size,
                                lr=c.lr, seed=c.seed, progress=progress,
                                warmup=c.warmup)  # fmt: skip
    return model, history


def summarize_seq2seq(model, data: SummarizationData, split: str = "test",
                      beam_size="config", batch_size: int = 64,
                      progress: bool = False) -> list[str]:  # fmt: skip
    """The model's TLDR of every record of a split, as text (:meth:`SummarizationData.text`),
    at most ``max_tgt + 1`` tokens before EOS: greedy
    (:meth:`~minilm.models.transformer.Transformer.greedy_decode`, a batch at a
    time), or :meth:`~minilm.models.transformer.Transformer.beam_search` with
    ``beam_size`` (default: the config's) and the config's length penalty. A
    model without ``beam_search`` is decoded greedily.

    (:func:`minilm.recipes.translation.translate` would do, but it decodes up to the
    model's ``max_len``, here the source length, and has no length penalty.)"""
    from .models.seq2seq import cut_at_eos
    from .progress import progress_bar

    c = data.config
    beam = _beam(c, beam_size) if hasattr(model, "beam_search") else None
    device = next(iter(model.parameters())).device
    encoded = data.translation_data().encode_src(data.source(r) for r in data.records[split])
    bar = progress_bar(
        total=len(encoded), enabled=progress, desc=f"beam {beam}" if beam else "greedy"
    )
    out = []
    for i in range(0, len(encoded), batch_size):
        chunk = encoded[i : i + batch_size]
        src = np.full((len(chunk), max(map(len, chunk))), data.id("<pad>"), dtype=np.int64)
        for j, s in enumerate(chunk):
            src[j, : len(s)] = s
        src = tensor(src, device=device)  # (B, S)
        if beam:
            hyps = model.beam_search(src, beam, max_len=c.max_tgt + 2,
                                     length_penalty=c.length_penalty)  # fmt: skip
            ids = [cut_at_eos(h[0].tokens, data.id("<eos>")) for h in hyps]
        else:
            ids = model.greedy_decode(src, max_len=c.max_tgt + 2)
        out += [data.text(row) for row in ids]
        bar.update(len(chunk))
    bar.close()
    return out


# --- abstractive: the decoder-only GPT -------------------------------------------


def _gpt_sequence(data: SummarizationData, record, with_target: bool = True) -> list[int]:
    ids = data.tok.encode(data.source(record)) + [data.id(SEP)]
    if with_target:
        ids += data.tok.encode(data.target(record)) + [data.id("<eos>")]
    return ids


def tldr_only_loss(sep_id: int):
    """A ``loss_fn(model, (x, y))`` for :func:`minilm.train.fit`: cross-entropy over
    the targets at and after the ``<sep>`` position of each row of ``x``, that is
    over the TLDR's tokens and EOS; the abstract's next-token predictions are not
    trained (the model never has to write abstracts, only read them)."""

    def loss_fn(model, batch):
        x, y = batch
        after = np.cumsum(x.numpy() == sep_id, axis=1) > 0  # (B, T) at or after <sep>
        y = tensor(np.where(after, y.numpy(), IGNORE), device=x.device)
        return F.cross_entropy(model(x), y, ignore_index=IGNORE)

    return loss_fn


def train_decoder_only(data: SummarizationData, progress: bool = False):
    """``(model, history)``: a fresh :class:`~minilm.models.gpt.GPT` (``2 * layers``
    blocks) trained on ``abstract <sep> tldr <eos>`` sequences by
    :func:`minilm.recipes.gpt.train_gpt` (padded batches of whole sequences, AdamW,
    warmup and cosine decay), with the loss on the TLDR part only
    (:func:`tldr_only_loss`)."""
    from .models.gpt import GPT, GPTConfig
    from .recipes.gpt import GPTTrainConfig, train_gpt

    c = data.config
    seqs = [np.array(_gpt_sequence(data, r), dtype=np.int64) for r in data.records["train"]]
    corpus = CharCorpus("scitldr", data.tok, {"train": seqs}, stream=False,
                        pad_id=data.id("<pad>"))  # fmt: skip
    manual_seed(c.seed)
    model = GPT(GPTConfig(vocab_size=data.tok.vocab_size, block_size=c.max_src + c.max_tgt + 2,
                          n_layer=2 * c.layers, n_head=c.num_heads, n_embd=c.d_model,
                          dropout=c.dropout))  # fmt: skip
    train = GPTTrainConfig(steps=c.steps, batch_size=c.batch_size, lr=c.lr, warmup=c.warmup,
                           seed=c.seed)  # fmt: skip
    history = train_gpt(model, corpus, train, progress=progress, eval_split=None,
                        loss_fn=tldr_only_loss(data.id(SEP)))  # fmt: skip
    return model, history


def summarize_decoder_only(model, data: SummarizationData, split: str = "test",
                           beam_size="config", progress: bool = False) -> list[str]:  # fmt: skip
    """The GPT's TLDR of every record of a split: the prompt is ``abstract <sep>``,
    and up to ``max_tgt + 1`` tokens follow, greedily or by
    :func:`minilm.generate.beam_search` (``beam_size``, default the config's),
    stopping at EOS."""
    from .generate import beam_search
    from .progress import progress_bar

    c = data.config
    beam = _beam(c, beam_size)
    eos = data.id("<eos>")
    out = []
    records = data.records[split]
    bar = progress_bar(
        total=len(records), enabled=progress, desc=f"beam {beam}" if beam else "greedy"
    )
    for r in records:
        prompt = _gpt_sequence(data, r, with_target=False)
        if beam:
            ids = beam_search(model, prompt, c.max_tgt + 1, beam, length_penalty=c.length_penalty,
                              stop_token=eos)[0].tokens  # fmt: skip
        else:
            ids = model.generate(prompt, c.max_tgt + 1, greedy=True, stop_token=eos)
        out.append(data.text(ids))
        bar.update()
    bar.close()
    return out


# --- evaluation --------------------------------------------------------------------


def rouge_row(name: str, hypotheses: list[str], references: list[str]) -> dict:
    """One table row: ``{"system", "rouge1", "rouge2", "rougeL"}``, each score a
    ``{"precision", "recall", "f1"}`` dict of :func:`~minilm.metrics.corpus_rouge`
    (mean over the papers, against the primary TLDR)."""
    scores = corpus_rouge(hypotheses, references)
    return {"system": name, **{k: s._asdict() for k, s in scores.items()}}


MODELS = ("encoder-decoder", "gpt")


def evaluate(config: SummarizerConfig | None = None, limit: int | None = None,
             test_limit: int | None = None, examples: int = 3, progress: bool = False,
             models=MODELS, beam_limit: int | None = None) -> dict:  # fmt: skip
    """Train the abstractive ``models`` (any of :data:`MODELS`) and score every
    system on the test split.

    Returns ``{"rows", "beam_rows", "examples", "seconds", "config", "decoding",
    "n_test", "n_beam"}``:

    - ``rows``: one :func:`rouge_row` each for lead-1, TextRank (k=1) and each
      model, decoded with the config's beam size (greedy when it is 0 or None).
    - ``beam_limit`` (an int): ``rows`` are decoded greedily instead, and
      ``beam_rows`` compare greedy and beam search (the config's beam size) on
      the first ``beam_limit`` test papers, lead-1 beside them (beam search is the
      slow part: a Python loop per paper).
    - ``examples``: the first ``examples`` test papers with every system's output
      beside the reference; ``seconds``: each training's and decoding's time.

    ``limit`` cuts the train split (and ``test_limit`` the test split) to its
    first records.

    >>> out = evaluate(CONFIGS["quick"], limit=8, test_limit=2, models=())
    >>> [r["system"] for r in out["rows"]], len(out["examples"])
    (['lead-1', 'textrank'], 2)
    """
    config = config or CONFIGS["default"]
    unknown = set(models) - set(MODELS)
    if unknown:
        raise ValueError(f"evaluate: unknown models {sorted(unknown)}; use some of {MODELS}")
    if beam_limit is not None and beam_limit < 1:
        raise ValueError(f"evaluate: beam_limit must be >= 1 (or None), got {beam_limit}")
    data = SummarizationData.load(config, limit)
    test = data.records["test"][:test_limit]
    data.records["test"] = test
    refs = [r["targets"][0] for r in test]
    outputs, seconds, decoding = {}, {}, {}
    t0 = time.perf_counter()
    outputs["lead-1"] = [" ".join(lead_k(r["source"], 1)) for r in test]
    outputs["textrank"] = [" ".join(textrank(r["source"], 1)) for r in test]
    seconds["extractive"] = time.perf_counter() - t0
    beam = _beam(config, "config")
    n_beam = None if beam_limit is None or not beam else min(beam_limit, len(test))
    beam_out = {"lead-1": outputs["lead-1"][:n_beam]} if n_beam else {}
    recipes = {"encoder-decoder": (train_seq2seq, summarize_seq2seq),
               "gpt": (train_decoder_only, summarize_decoder_only)}  # fmt: skip
    for name in models:
        train, summarize = recipes[name]
        t0 = time.perf_counter()
        model, history = train(data, progress)
        seconds[f"{name} train"] = time.perf_counter() - t0
        decoding[f"{name} final train loss"] = float(np.mean(history.loss[-20:]))
        has_beam = name == "gpt" or hasattr(model, "beam_search")
        t0 = time.perf_counter()
        outputs[name] = summarize(model, data, "test", beam_size=None if n_beam else beam,
                                  progress=progress)  # fmt: skip
        seconds[f"{name} decode"] = time.perf_counter() - t0
        decoding[name] = f"beam {beam}" if beam and has_beam and not n_beam else "greedy"
        if n_beam:
            beam_out[f"{name} (greedy)"] = outputs[name][:n_beam]
            data.records["test"] = test[:n_beam]
            t0 = time.perf_counter()
            beam_out[f"{name} (beam {beam})"] = summarize(model, data, "test", beam_size=beam,
                                                          progress=progress)  # fmt: skip
            seconds[f"{name} beam decode ({n_beam} papers)"] = time.perf_counter() - t0
            data.records["test"] = test
    rows = [rouge_row(name, hyps, refs) for name, hyps in outputs.items()]
    beam_rows = [rouge_row(name, hyps, refs[:n_beam]) for name, hyps in beam_out.items()]
    every = {**outputs, **{k: v for k, v in beam_out.items() if "(beam" in k}}
    shown = [{"id": r["id"], "reference": r["targets"][0],
              **{name: hyps[i] for name, hyps in every.items() if i < len(hyps)}}
             for i, r in enumerate(test[:examples])]  # fmt: skip
    return {"rows": rows, "beam_rows": beam_rows, "examples": shown, "seconds": seconds,
            "config": asdict(config), "decoding": decoding, "n_test": len(test),
            "n_beam": n_beam}  # fmt: skip


def _table(rows, decoding=None) -> list[str]:
    lines = ["| system | R-1 F1 | R-2 F1 | R-L F1 | R-1 P | R-1 R |", "|---|---|---|---|---|---|"]
    for row in rows:
        f = [row[k]["f1"] * 100 for k in ("rouge1", "rouge2", "rougeL")]
        p, r = row["rouge1"]["precision"] * 100, row["rouge1"]["recall"] * 100
        name = row["system"]
        if decoding and name in decoding:
            name += f" ({decoding[name]})"
        lines.append(f"| {name} | {f[0]:.1f} | {f[1]:.1f} | {f[2]:.1f} | {p:.1f} | {r:.1f} |")
    return lines


def to_markdown(result: dict) -> str:
    """:func:`evaluate`'s tables (F1, precision and recall, in %) and examples as markdown."""
    lines = _table(result["rows"], result["decoding"])
    lines.append(f"\nROUGE on {result['n_test']} test papers against the author TLDR.\n")
    if result["beam_rows"]:
        lines += _table(result["beam_rows"])
        lines.append(f"\nGreedy and beam search on the first {result['n_beam']} test papers.\n")
    for ex in result["examples"]:
        lines.append(f"**{ex['id']}**\n")
        lines += [f"- *{k}*: {v}" for k, v in ex.items() if k != "id"]
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> dict:
    """``python -m minilm.summarize [--quick] [--steps N] [--batch-size N] [--beam N]
    [--beam-limit N] [--models M ...] [--limit N] [--test-limit N] [--out DIR]``: :func:`evaluate`,
    the tables printed as markdown, and ``summarize.json`` written to ``--out``.
    ``--quick`` is the tiny config on 32 train and 4 test papers (a smoke test)."""
    p = argparse.ArgumentParser(
        prog="python -m minilm.summarize", description=__doc__.split("\n")[0]
    )
    p.add_argument("--quick", action="store_true", help="tiny models on a tiny subset")
    p.add_argument("--steps", type=int, help="training steps for each model")
    p.add_argument("--batch-size", type=int, help="training batch size")
    p.add_argument("--beam", type=int, help="beam size (0: greedy)")
    p.add_argument("--beam-limit", type=int,
                   help="decode all greedily, and compare beam search on the first N")  # fmt: skip
    p.add_argument("--models", nargs="*", choices=MODELS, default=list(MODELS),
                   help="abstractive models to train (none: extractive only)")  # fmt: skip
    p.add_argument("--limit", type=int, help="use only the first N train papers")
    p.add_argument("--test-limit", type=int, help="score only the first N test papers")
    p.add_argument("--out", type=Path, help="write summarize.json here")
    p.add_argument("--progress", action="store_true", help="progress bars")
    a = p.parse_args(argv)
    config = CONFIGS["quick" if a.quick else "default"]
    if a.steps is not None:
        if a.steps < 1:
            p.error(f"--steps must be >= 1, got {a.steps}")
        config = replace(config, steps=a.steps, warmup=min(config.warmup, a.steps - 1))
    if a.beam_limit is not None and a.beam_limit < 1:
        p.error(f"--beam-limit must be >= 1, got {a.beam_limit}")
    if a.batch_size is not None:
        config = replace(config, batch_size=a.batch_size)
    if a.beam is not None:
        config = replace(config, beam_size=a.beam)
    limit, test_limit = (32, 4) if a.quick else (None, None)
    limit = a.limit if a.limit is not None else limit
    test_limit = a.test_limit if a.test_limit is not None else test_limit
    result = evaluate(config, limit, test_limit, progress=a.progress, models=a.models,
                      beam_limit=a.beam_limit)  # fmt: skip
    print(to_markdown(result))
    print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in result["seconds"].items()))
    if a.out is not None:
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "summarize.json").write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
