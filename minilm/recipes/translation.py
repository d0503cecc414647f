"""English -> French translation on the bundled eng-fra subset: word
vocabularies, padded batches, one training loop for any model called as
``model(src, tgt_in, src_mask) -> logits`` (:class:`Seq2Seq`, :class:`Transformer`),
and corpus BLEU on a held-out split against every reference translation.
``python -m minilm translation`` trains the RNN and the transformer the
same way and prints both test BLEUs, greedy and beam search (:func:`main`).

Splits come from :func:`minilm.data.load_split`: cut by English sentence, so
the several French translations of one sentence stay together. BLEU scores one
hypothesis per distinct English sentence against all of its translations.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import functional as F
from .. import optim
from ..backend import np
from ..data import load_split
from ..metrics import corpus_bleu
from ..progress import progress_bar
from ..tensor import tensor
from ..text import WordTokenizer
from ..train import fit

__all__ = [
    "SPECIALS",
    "IGNORE",
    "TranslationData",
    "train_translation",
    "translate",
    "bleu",
    "MODELS",
    "build_model",
    "save_translator",
]

SPECIALS = ("<pad>", "<bos>", "<eos>")  # the first ids of both vocabularies; "<unk>" follows
IGNORE = -100  # a target that F.cross_entropy skips (its default ignore_index)


@dataclass
class TranslationData:
    """Tokenizers for both sides (lower-cased words, built from the train split)
    and each split as (english, french) pairs, each side at most ``max_len`` words."""

    src_tok: WordTokenizer
    tgt_tok: WordTokenizer
    pairs: dict
    max_len: int = 16

    @classmethod
    def load(cls, min_count: int = 2, max_len: int = 16) -> TranslationData:
        """Pairs whose sides are at most ``max_len`` words; words seen fewer than
        ``min_count`` times in train become ``<unk>``."""
        pairs = {s: load_split("eng-fra", s) for s in ("train", "val", "test")}
        build = lambda texts: WordTokenizer.from_text(
            "\n".join(texts), min_count=min_count, specials=SPECIALS, lower=True
        )
        src_tok = build(en for en, _ in pairs["train"])
        tgt_tok = build(fr for _, fr in pairs["train"])
        short = lambda p: len(src_tok.tokenize(p[0])) <= max_len and \
            len(tgt_tok.tokenize(p[1])) <= max_len  # fmt: skip
        kept = {s: [p for p in ps if short(p)] for s, ps in pairs.items()}
        return cls(src_tok, tgt_tok, kept, max_len)

    @property
    def pad_id(self) -> int:
        """The id of ``<pad>`` (the same in both vocabularies, as are the two below)."""
        return self.tgt_tok.vocab.stoi["<pad>"]

    @property
    def bos_id(self) -> int:
        return self.tgt_tok.vocab.stoi["<bos>"]

    @property
    def eos_id(self) -> int:
        return self.tgt_tok.vocab.stoi["<eos>"]

    def special_ids(self) -> dict:
        """``pad_id``, ``bos_id`` and ``eos_id``, as keyword arguments for a model config."""
        return dict(pad_id=self.pad_id, bos_id=self.bos_id, eos_id=self.eos_id)

    def encode_src(self, sentences) -> list[list[int]]:
        """Each English sentence as ids followed by ``<eos>``."""
        eos = self.src_tok.vocab.stoi["<eos>"]
        return [self.src_tok.encode(s) + [eos] for s in sentences]

    def batch(self, pairs, device: str = "cpu"):
        """(src (B, S), tgt_in (B, T), tgt_out (B, T)): source ids + EOS; target
        BOS + ids as input and ids + EOS as output, right-padded with ``<pad>``;
        padded outputs are :data:`IGNORE` so the loss skips them."""
        src = self.encode_src(en for en, _ in pairs)
        tgt = [self.tgt_tok.encode(fr) for _, fr in pairs]
        S, T = max(map(len, src)), max(map(len, tgt)) + 1
        s = np.full((len(pairs), S), self.src_tok.vocab.stoi["<pad>"], dtype=np.int64)
        t_in = np.full((len(pairs), T), self.pad_id, dtype=np.int64)
        t_out = np.full((len(pairs), T), IGNORE, dtype=np.int64)
        for i, (a, b) in enumerate(zip(src, tgt)):
            s[i, : len(a)] = a
            t_in[i, : len(b) + 1] = [self.bos_id, *b]
            t_out[i, : len(b) + 1] = [*b, self.eos_id]
        return tensor(s, device=device), tensor(t_in, device=device), tensor(t_out, device=device)

    def references(self, split: str) -> tuple[list[str], list[list[list[str]]]]:
        """Distinct English sentences of a split and, for each, every French
        reference as a token list."""
        refs: dict = {}
        for en, fr in self.pairs[split]:
            refs.setdefault(en, []).append(self.tgt_tok.tokenize(fr))
        return list(refs), list(refs.values())


def train_translation(model, data: TranslationData, steps: int, batch_size: int = 64,
                      lr: float = 1e-3, seed: int = 0, progress: bool = True,
                      clip: float = 1.0, warmup: int = 200):  # fmt: skip
    """Teacher-forced cross-entropy over real target tokens, AdamW with warmup and
    cosine decay, gradient clipping. Returns :func:`minilm.train.fit`'s history."""
    device = next(iter(model.parameters())).device
    gen = np.random.default_rng(seed)
    train = data.pairs["train"]

    def batch():
        return data.batch([train[i] for i in gen.integers(0, len(train), batch_size)], device)

    def loss_fn(model, b):
        src, t_in, t_out = b
        return F.cross_entropy(model(src, t_in), t_out, ignore_index=IGNORE)

    opt = optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = optim.WarmupCosineLR(opt, min(warmup, steps - 1), steps, eta_min=lr / 10)
    return fit(model, opt, batch, steps, loss_fn=loss_fn, scheduler=sched, clip_grad_norm=clip,
               seed=seed, progress=progress)  # fmt: skip


def translate(model, data: TranslationData, sentences, batch_size: int = 128,
              beam_size: int | None = None, progress: bool = False,
              length_penalty: float = 1.0) -> list[list[str]]:  # fmt: skip
    """French token lists for English ``sentences``: greedy, or beam search when
    ``beam_size`` is given, one sentence at a time through the model's
    ``beam_decode`` (:class:`Seq2Seq` and :class:`Transformer` have one), whose
    hypotheses are ranked by log-probability / length ** ``length_penalty``.
    ``progress`` shows a bar over the sentences."""
    if beam_size and not hasattr(model, "beam_decode"):
        raise TypeError(f"translate: {type(model).__name__} has no beam_decode; use greedy "
                        "decoding (beam_size=None)")  # fmt: skip
    device = next(iter(model.parameters())).device
    out = []
    sentences = list(sentences)
    desc = f"beam {beam_size}" if beam_size else "greedy"
    bar = progress_bar(total=len(sentences), enabled=progress, desc=desc)
    for i in range(0, len(sentences), batch_size):
        chunk = data.encode_src(sentences[i : i + batch_size])
        if beam_size:
            ids = []
            for s in chunk:
                ids.append(model.beam_decode(s, beam_size, length_penalty=length_penalty))
                bar.update()
        else:
            S = max(map(len, chunk))
            src = np.full((len(chunk), S), data.src_tok.vocab.stoi["<pad>"], dtype=np.int64)
            for j, s in enumerate(chunk):
                src[j, : len(s)] = s
            ids = model.greedy_decode(tensor(src, device=device))
            bar.update(len(chunk))
        out += [data.tgt_tok.vocab.decode(row) for row in ids]
    bar.close()
    return out


def bleu(model, data: TranslationData, split: str = "test", limit: int | None = None,
         beam_size: int | None = None, length_penalty: float = 1.0) -> float:  # fmt: skip
    """Corpus BLEU (4-gram, no smoothing) of the model's translations of a split's
    distinct English sentences (the first ``limit`` of them), in [0, 1]: greedy,
    or beam search with ``beam_size`` and ``length_penalty`` (see :func:`translate`)."""
    sources, refs = data.references(split)
    if limit is not None:
        sources, refs = sources[:limit], refs[:limit]
    hyps = translate(model, data, sources, beam_size=beam_size, length_penalty=length_penalty)
    return corpus_bleu(hyps, refs)


# The command line's models: the chapter 06/07 lessons' full sizes, which train
# 2000 steps of 64 pairs within about 15 minutes each on one CPU core. "lr" is
# each one's peak learning rate, chosen on the val split's greedy BLEU after 2000
# steps (seed 0): RNN 35.4 at 2e-3, 36.0 at 3e-3; transformer 38.1 at 1e-3, 41.0
# at 2e-3, 41.9 at 3e-3. Dropout 0.3 instead of 0.1 cost both (RNN 32.1 at 2e-3,
# transformer 29.1 at 1e-3): at this budget more regularization only slows learning.
# (Reproduce one with ``python -m minilm translation --split val --beam 0 --lr 2e-3``,
# adding ``--dropout 0.3`` for the dropout runs.)
MODELS = {
    "rnn": dict(embed_dim=128, hidden_size=256, dropout=0.1, lr=3e-3),
    "transformer": dict(d_model=128, num_heads=4, num_encoder_layers=2, num_decoder_layers=2,
                        dropout=0.1, lr=3e-3),
}  # fmt: skip


def build_model(kind: str, data: TranslationData, seed: int = 0, dropout: float | None = None):
    """``(model, lr)``: the :data:`MODELS` entry ``kind`` ("rnn": a GRU
    :class:`~minilm.models.seq2seq.Seq2Seq` with additive attention;
    "transformer": the encoder-decoder :class:`~minilm.models.transformer.Transformer`)
    for ``data``'s vocabularies, its weights drawn after ``manual_seed(seed)``;
    ``dropout`` overrides the entry's dropout rate.

    >>> model, lr = build_model("transformer", TranslationData.load())
    >>> type(model).__name__, lr == MODELS["transformer"]["lr"]
    ('Transformer', True)
    """
    from ..models.seq2seq import Seq2Seq, Seq2SeqConfig
    from ..models.transformer import Transformer, TransformerConfig
    from ..tensor import manual_seed

    if kind not in MODELS:
        raise ValueError(f"unknown model {kind!r}: use one of {list(MODELS)}")
    size = dict(MODELS[kind])
    lr = size.pop("lr")
    if dropout is not None:
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        size["dropout"] = dropout
    vocab = (data.src_tok.vocab_size, data.tgt_tok.vocab_size)
    manual_seed(seed)
    if kind == "rnn":
        return Seq2Seq(Seq2SeqConfig(*vocab, **size, **data.special_ids())), lr
    return Transformer(TransformerConfig(*vocab, **size)), lr


def save_translator(path, model, data: TranslationData, metrics: dict | None = None,
                    step: int = 0) -> None:  # fmt: skip
    """Write a trained translator to ``path`` as a self-describing model file
    (:func:`minilm.checkpoint.save_model`): its "source" and "target" tokenizers,
    ``metrics`` (BLEU, ...), and how a source sentence is prepared as in training
    (lower-cased words, at most ``data.max_len`` of them, then ``<eos>``), which
    :class:`minilm.predict.Translator` reads back."""
    from ..checkpoint import save_model

    save_model(path, model, {"source": data.src_tok, "target": data.tgt_tok},
               metrics=metrics, step=step,
               text={"source": "eng-fra", "max_len": data.max_len})  # fmt: skip
