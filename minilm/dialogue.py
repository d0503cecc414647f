"""A small dialogue model on Topical-Chat, a retrieval baseline, and a chat session.

**Format.** A conversation is one token sequence: each turn is its speaker's
token, a space, the text, and the end-of-turn token::

    <a> Are you a football fan?<eot><b> yes, I'm. a football fan.<eot>

``<a>`` is Topical-Chat's ``agent_1`` (who always speaks first), ``<b>`` is
``agent_2``. In ``python -m minilm chat`` the user speaks as ``<a>`` and the
model as ``<b>``. :func:`format_turns` and :func:`parse_turns` go between the
turns and this text.

**Tokens.** Byte-level BPE (:class:`minilm.text.BPETokenizer`, 512 ids by
default: 256 bytes, 253 merges learned on the training conversations, and the
three special tokens), so any text a user types can be read, and a turn costs
about a third as many positions as it has characters: more turns fit in the
context than with characters. A turn's text is encoded with
``allow_special=False``: someone who types ``<eot>`` types those five bytes.

**Training** (:func:`train_dialogue_gpt`): :func:`minilm.recipes.gpt.train_gpt`
on windows of ``block_size + 1`` tokens that start at the beginning of a turn
(one window per turn of every training conversation, cut at the
conversation's end), so that the model, like at test time, always sees a
context that starts with a speaker token. The loss covers every token.

**Context.** A response is predicted from the latest *whole* turns before it
that fit in the block with the response (:func:`fit_context`): the oldest turns
are dropped first.

**Scores.** Perplexity per token of the test responses given their contexts:
the tokens scored are a response's text and its ``<eot>``, not its speaker
token (who speaks next is given). Perplexity per word is the same total
log-loss divided by the number of words instead (whitespace-separated words
of the text, plus one for the end of the turn), which does not depend on the
tokenizer. Retrieval has no probabilities, so the models are also compared on
generated (or retrieved) responses: distinct-1/2 (:func:`minilm.metrics.distinct_n`),
mean length in words, and unigram F1 against the true response
(:func:`minilm.metrics.token_f1`, SQuAD's normalization).

Run ``python -m minilm.dialogue train --out chat.safetensors`` and
``python -m minilm.dialogue eval chat.safetensors``; chat with
``python -m minilm chat chat.safetensors``.
"""

from __future__ import annotations

import math
import re
import sys
from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace

from . import functional as F
from .backend import np
from .data.tasks import SPEAKERS, load_dialogue
from .generate import sample_token
from .metrics import distinct_n, token_f1
from .tensor import no_grad, tensor
from .text import BPETokenizer

__all__ = [
    "SPEAKER_TOKENS", "END_OF_TURN", "SPECIAL_TOKENS", "USER", "BOT", "format_turns",
    "parse_turns", "train_tokenizer", "encode_turn", "encode_turns", "fit_context",
    "TurnWindows", "DialogueSetup", "train_dialogue_gpt", "response_nll", "perplexity",
    "UnigramLM", "TfidfIndex", "Retriever", "ChatSession", "save_dialogue_model",
    "load_dialogue_model", "evaluate", "format_table", "NotADialogueModel", "words",
    "chat_loop",
]  # fmt: skip

SPEAKER_TOKENS = {"agent_1": "<a>", "agent_2": "<b>"}
END_OF_TURN = "<eot>"
SPECIAL_TOKENS = (*SPEAKER_TOKENS.values(), END_OF_TURN)
USER, BOT = SPEAKERS  # in a chat the user speaks first, as agent_1
TASK = "dialogue"  # the model file's text.task

_TURN = re.compile(r"(<a>|<b>) ?(.*?)<eot>", re.S)  # a generated turn may lack the space


# --- format -------------------------------------------------------------------


def _check_text(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"a turn's text must be a str, got {type(text).__name__}")
    bad = [s for s in SPECIAL_TOKENS if s in text]
    if bad:
        raise ValueError(f"a turn's text may not contain the special tokens {bad}: {text[:60]!r}")
    return text


def format_turns(turns) -> str:
    """The text of ``turns`` (``{"speaker", "text"}`` dicts, as
    :func:`minilm.data.tasks.load_dialogue` gives them): ``<speaker> text<eot>``
    per turn, nothing between turns.

    >>> format_turns([{"speaker": "agent_1", "text": "Hi!"}, {"speaker": "agent_2", "text": "Hey"}])
    '<a> Hi!<eot><b> Hey<eot>'
    """
    parts = []
    for t in turns:
        if t["speaker"] not in SPEAKER_TOKENS:
            raise ValueError(f"unknown speaker {t['speaker']!r}: use one of {SPEAKERS}")
        parts.append(f"{SPEAKER_TOKENS[t['speaker']]} {_check_text(t['text'])}{END_OF_TURN}")
    return "".join(parts)


def parse_turns(text: str) -> list[dict]:
    """The turns of a text written by :func:`format_turns` (its inverse). The
    space after a speaker token is optional (a model may generate none).

    >>> parse_turns("<a> Hi!<eot><b> Hey<eot>")
    [{'speaker': 'agent_1', 'text': 'Hi!'}, {'speaker': 'agent_2', 'text': 'Hey'}]
    """
    by_token = {v: k for k, v in SPEAKER_TOKENS.items()}
    turns, end = [], 0
    for m in _TURN.finditer(text):
        if m.start() != end:
            break
        turns.append({"speaker": by_token[m.group(1)], "text": m.group(2)})
        end = m.end()
    if end != len(text):
        raise ValueError(f"not a formatted conversation from character {end}: "
                         f"{text[end:end + 40]!r} (expected '<a> text<eot>' or "
                         "'<b> text<eot>')")  # fmt: skip
    return turns


# --- tokens -------------------------------------------------------------------


def train_tokenizer(conversations, vocab_size: int = 512) -> BPETokenizer:
    """A byte-level BPE learned on the formatted ``conversations`` (records with
    ``"turns"``), with :data:`SPECIAL_TOKENS` as its last three ids."""
    tok = BPETokenizer()
    tok.train("".join(format_turns(c["turns"]) for c in conversations), vocab_size,
              special_tokens=SPECIAL_TOKENS)  # fmt: skip
    return tok


def _special_ids(tok) -> dict:
    specials = getattr(tok, "special_tokens", {})
    missing = [s for s in SPECIAL_TOKENS if s not in specials]
    if missing:
        raise ValueError(f"the tokenizer lacks the dialogue tokens {missing}; make it with "
                         "minilm.dialogue.train_tokenizer")  # fmt: skip
    return {s: specials[s] for s in SPECIAL_TOKENS}


def encode_turn(tok, speaker: str, text: str) -> list[int]:
    """One turn's ids: its speaker token, ``" " + text`` as ordinary text, ``<eot>``.

    >>> tok = BPETokenizer(special_tokens=SPECIAL_TOKENS)
    >>> encode_turn(tok, "agent_2", "ok")  # ids 256, 257, 258 are <a>, <b>, <eot>
    [257, 32, 111, 107, 258]
    """
    ids = _special_ids(tok)
    if speaker not in SPEAKER_TOKENS:
        raise ValueError(f"unknown speaker {speaker!r}: use one of {SPEAKERS}")
    body = tok.encode(" " + _check_text(text), allow_special=False)
    return [ids[SPEAKER_TOKENS[speaker]], *body, ids[END_OF_TURN]]


def encode_turns(tok, turns) -> list[list[int]]:
    """The ids of each turn (:func:`encode_turn`)."""
    return [encode_turn(tok, t["speaker"], t["text"]) for t in turns]


def fit_context(turn_ids, budget: int) -> list[int]:
    """The latest whole turns of ``turn_ids`` (lists of ids, oldest first) whose
    total length is at most ``budget``, joined; ``[]`` when not even the last fits.

    >>> fit_context([[1, 2], [3], [4, 5, 6]], 4)
    [3, 4, 5, 6]
    """
    out, n = [], 0
    for ids in reversed(turn_ids):
        if n + len(ids) > budget:
            break
        out.append(ids)
        n += len(ids)
    return [i for ids in reversed(out) for i in ids]


class TurnWindows:
    """Training windows for :func:`minilm.recipes.gpt.train_gpt`: for every turn of
    every conversation, the ``block_size + 1`` tokens from that turn's start (fewer
    at a conversation's end). It is a corpus of *documents* to ``train_gpt``
    (``stream = False``): batches are padded, padding ignored by the loss."""

    stream = False

    def __init__(self, tok, conversations, block_size: int):
        self.windows = {"train": []}
        for c in conversations:
            turns = encode_turns(tok, c["turns"])
            ids = np.array([i for t in turns for i in t], dtype=np.int64)
            starts = np.cumsum([0] + [len(t) for t in turns[:-1]])
            self.windows["train"] += [ids[s : s + block_size + 1] for s in starts]

    def split(self, which: str) -> list:
        if which not in self.windows:
            raise ValueError(f"TurnWindows has only a train split, not {which!r}")
        return self.windows[which]


# --- training -------------------------------------------------------------------


@dataclass
class DialogueSetup:
    """The dialogue GPT's size and training (a few CPU minutes at the defaults)."""

    vocab_size: int = 512
    block_size: int = 128
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    steps: int = 500
    batch_size: int = 16
    lr: float = 2e-3
    warmup: int = 40
    seed: int = 0


def train_dialogue_gpt(setup: DialogueSetup, conversations=None, progress: bool = True):
    """Train the tokenizer and a GPT on the training conversations (or the given
    ones); returns ``(model, tokenizer, history)``."""
    from .models.gpt import GPT, GPTConfig
    from .recipes.gpt import GPTTrainConfig, train_gpt
    from .tensor import manual_seed

    conversations = load_dialogue("train") if conversations is None else conversations
    tok = train_tokenizer(conversations, setup.vocab_size)
    manual_seed(setup.seed)
    cfg = GPTConfig(vocab_size=tok.vocab_size, block_size=setup.block_size,
                    n_layer=setup.n_layer, n_head=setup.n_head, n_embd=setup.n_embd,
                    dropout=setup.dropout)  # fmt: skip
    model = GPT(cfg)
    data = TurnWindows(tok, conversations, setup.block_size)
    train_cfg = GPTTrainConfig(steps=setup.steps, batch_size=setup.batch_size, lr=setup.lr,
                               warmup=setup.warmup, seed=setup.seed)  # fmt: skip
    hist = train_gpt(model, data, train_cfg, progress=progress, eval_split=None)
    return model, tok, hist


# --- perplexity -------------------------------------------------------------------


def _examples(tok, conversations, block_size: int):
    """(ids, first scored position, words) per response: every turn after the first."""
    for c in conversations:
        turns = encode_turns(tok, c["turns"])
        for r in range(1, len(turns)):
            resp = turns[r]
            ctx = fit_context(turns[:r], block_size + 1 - len(resp))
            words = len(c["turns"][r]["text"].split()) + 1  # + the end of the turn
            yield ctx + resp, len(ctx) + 1, words


def _nll_one(model, ids, first: int) -> float:
    """Sum of -log p(ids[j] | the up to block_size tokens before j) for j >= first:
    one pass over the first block_size tokens, then one per token past them (only
    a response longer than the block gets here)."""
    B = model.config.block_size
    y = np.full(min(len(ids) - 1, B), -100, dtype=np.int64)
    y[first - 1 :] = ids[first : B + 1]
    total = F.cross_entropy(model(tensor([ids[:B]])), tensor(y[None]), reduction="sum").item()
    for j in range(max(first, B + 1), len(ids)):
        logits = model(tensor([ids[j - B : j]]))[:, -1]  # (1, V)
        total += F.cross_entropy(logits, tensor([ids[j]]), reduction="sum").item()
    return total


def response_nll(model, tok, conversations, batch_size: int = 32):
    """``(total nats, tokens scored, words)`` of every response (every turn after
    the first) of ``conversations`` given its context (:func:`fit_context`)."""
    B = model.config.block_size
    examples = list(_examples(tok, conversations, B))
    total, tokens, words = 0.0, 0, 0
    was = model.training
    model.eval()
    with no_grad():
        short = [e for e in examples if len(e[0]) <= B + 1]
        for e in examples:
            tokens += len(e[0]) - e[1]
            words += e[2]
            if len(e[0]) > B + 1:
                total += _nll_one(model, e[0], e[1])
        short.sort(key=lambda e: len(e[0]))
        for i in range(0, len(short), batch_size):
            chunk = short[i : i + batch_size]
            T = max(len(ids) for ids, _, _ in chunk) - 1
            x = np.zeros((len(chunk), T), dtype=np.int64)
            y = np.full((len(chunk), T), -100, dtype=np.int64)
            for j, (ids, first, _) in enumerate(chunk):
                x[j, : len(ids) - 1] = ids[:-1]
                y[j, first - 1 : len(ids) - 1] = ids[first:]
            total += F.cross_entropy(model(tensor(x)), tensor(y), reduction="sum").item()
    model.train(was)
    return total, tokens, words


def perplexity(model, tok, conversations) -> dict:
    """``{"per_token", "per_word", "nats_per_token", "tokens", "words"}`` on the
    responses of ``conversations`` (see the module docstring).

    A model that gives every token the same probability has a perplexity per
    token equal to its vocabulary size."""
    total, tokens, words = response_nll(model, tok, conversations)
    return {"per_token": math.exp(total / tokens), "per_word": math.exp(total / words),
            "nats_per_token": total / tokens, "tokens": tokens, "words": words}  # fmt: skip


class UnigramLM:
    """The baseline that ignores the context: p(token) from its count in the
    training conversations, add-one (Laplace) smoothed over the whole vocabulary;
    the tokens counted are those that get scored (a turn's text and its
    ``<eot>``, not its speaker token). It has a GPT's call and ``config.block_size``,
    so :func:`perplexity` scores it exactly as it scores the GPT.

    >>> tok = BPETokenizer(special_tokens=SPECIAL_TOKENS)  # 259 ids
    >>> lm = UnigramLM(tok, [{"turns": [{"speaker": "agent_1", "text": "a"}]}])
    >>> round(float(np.exp(lm.log_probs[ord("a")])) * (259 + 3), 6)  # " ", "a", <eot> counted
    2.0
    """

    def __init__(self, tok, conversations, block_size: int = 128):
        counts = np.ones(tok.vocab_size)
        for c in conversations:
            for ids in encode_turns(tok, c["turns"]):
                np.add.at(counts, np.array(ids[1:]), 1.0)
        self.log_probs = np.log(counts / counts.sum())
        self.config = SimpleNamespace(block_size=block_size)
        self.training = False

    def train(self, mode: bool = True):
        return self

    def eval(self):
        return self

    def __call__(self, idx):
        B, T = idx.shape
        return tensor(np.broadcast_to(self.log_probs, (B, T, len(self.log_probs))).copy())


# --- retrieval --------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Lowercased runs of letters, digits and apostrophes: the TF-IDF terms.

    >>> words("Don't you LOVE it?")
    ["don't", 'you', 'love', 'it']
    """
    return re.findall(r"[a-z0-9']+", text.lower())


class TfidfIndex:
    """Cosine similarity of TF-IDF vectors over documents (lists of terms).

    A term t of a document d weighs ``tf(t, d) * idf(t)``: ``tf`` the raw count of
    t in d, ``idf(t) = ln((1 + N) / (1 + df(t))) + 1`` with N documents of which
    ``df(t)`` contain t (the +1s are add-one smoothing, as if one more document
    held every term: no division by zero, and a term in every document still
    weighs 1, not 0). Vectors are divided by their L2 norm, so a dot product is
    the cosine. A query term no document has is ignored.

    >>> index = TfidfIndex([["a", "b"], ["b", "c"]])
    >>> round(index.idf["a"], 4), index.idf["b"]  # ln(3/2) + 1, ln(3/3) + 1
    (1.4055, 1.0)
    >>> [round(float(s), 4) for s in index.scores(["a"])]
    [0.8148, 0.0]
    """

    def __init__(self, documents):
        documents = [list(d) for d in documents]
        N = len(documents)
        if N == 0:
            raise ValueError("TfidfIndex needs at least one document")
        df = Counter(t for d in documents for t in set(d))
        self.idf = {t: math.log((1 + N) / (1 + n)) + 1.0 for t, n in df.items()}
        self.size = N
        postings: dict = {}
        for i, d in enumerate(documents):
            vec = self.vector(d)
            for t, w in vec.items():
                postings.setdefault(t, ([], []))
                postings[t][0].append(i)
                postings[t][1].append(w)
        self.postings = {t: (np.array(a, dtype=np.int64), np.array(b)) for t, (a, b) in
                         postings.items()}  # fmt: skip

    def vector(self, terms) -> dict:
        """The unit TF-IDF vector of ``terms`` as ``{term: weight}`` (unknown terms dropped)."""
        tf = Counter(t for t in terms if t in self.idf)
        vec = {t: n * self.idf[t] for t, n in tf.items()}
        norm = math.sqrt(sum(w * w for w in vec.values()))
        return {t: w / norm for t, w in vec.items()} if norm > 0 else {}

    def scores(self, terms):
        """Cosine similarity of ``terms`` to every document, an array (N,)."""
        out = np.zeros(self.size)
        for t, w in self.vector(terms).items():
            docs, weights = self.postings[t]
            out[docs] += w * weights  # a term lists each document once
        return out


class Retriever:
    """The retrieval baseline: for a context, the training response whose context
    (its last ``k`` turns, texts joined) is most similar by TF-IDF cosine; ties
    and an all-zero query go to the first such pair in the training data.

    >>> chats = [{"turns": [{"speaker": "agent_1", "text": t} for t in ["hi", "hello", "bye"]]}]
    >>> Retriever(chats, k=1).respond([{"speaker": "agent_1", "text": "hello"}])
    'bye'
    """

    def __init__(self, conversations, k: int = 2):
        self.k = k
        contexts, self.responses = [], []
        for c in conversations:
            texts = [t["text"] for t in c["turns"]]
            for r in range(1, len(texts)):
                contexts.append(words(" ".join(texts[max(0, r - k) : r])))
                self.responses.append(texts[r])
        self.index = TfidfIndex(contexts)

    def respond(self, turns) -> str:
        query = words(" ".join(t["text"] for t in turns[-self.k :]))
        return self.responses[int(np.argmax(self.index.scores(query)))]


# --- generation and chat -------------------------------------------------------------


class ChatSession:
    """A conversation with a dialogue GPT that keeps its turns in the context and
    its KV cache across turns.

    :meth:`add_turn` appends a turn, :meth:`generate_turn` samples the next one
    (temperature, then top-p; speaker tokens are never sampled inside a turn; it
    ends at ``<eot>`` or after ``max_turn_tokens``, when ``<eot>`` is appended).
    The tokens already read stay in the GPT's KV caches, and only the new ones go
    through the network (:meth:`minilm.models.gpt.GPT.next_logits`), as long as the
    whole conversation fits in ``block_size``. When it does not, the context is cut
    to three quarters of the block (:meth:`_cut`: the oldest whole turns first, never
    the user's newest turn or the reply being written; then the oldest tokens of
    each turn, each keeping its speaker token) and the caches are rebuilt from it:
    the positions are absolute, so cached keys do not fit a shifted window. The
    reply returned is always the whole reply.
    """

    def __init__(self, model, tok, *, temperature: float = 0.8, top_p: float | None = 0.9,
                 max_turn_tokens: int = 60, seed: int | None = None):  # fmt: skip
        self.model, self.tok = model, tok
        self.ids = _special_ids(tok)
        self.temperature, self.top_p, self.max_turn_tokens = temperature, top_p, max_turn_tokens
        self.rng = np.random.default_rng(seed)
        self.recomputed = 0  # how many times the context had to be cut and reread
        self.reset()

    def reset(self) -> None:
        """Forget the conversation (and the caches)."""
        self.turns: list[list[int]] = []  # every turn in the context, the open one last
        self.state, self.fed = None, 0

    @property
    def context(self) -> list[int]:
        return [i for t in self.turns for i in t]

    def add_turn(self, speaker: str, text: str) -> None:
        self.turns.append(encode_turn(self.tok, speaker, text))

    def next_logits(self):
        """Logits of the token after the context, feeding only the unread tokens
        through the cache, or rereading a cut context (see the class docstring)."""
        B = self.model.config.block_size
        if len(self.context) > B:
            self._cut(B - B // 4)  # a quarter block of room: no rereading at every token
            self.state, self.fed = None, 0
            self.recomputed += 1
        ids = self.context
        logits, self.state = self.model.next_logits(ids[self.fed :], self.state)
        self.fed = len(ids)
        return logits

    def _cut(self, budget: int) -> None:
        """Shorten the context to ``budget`` tokens: drop the oldest whole turns, but
        never the newest two (the turn being answered and the one being written);
        if that is not enough, drop the oldest tokens of each remaining turn in order,
        always keeping its speaker token, so the context starts with one."""
        while len(self.turns) > 2 and len(self.context) > budget:
            self.turns.pop(0)
        for j, t in enumerate(self.turns):
            excess = len(self.context) - budget
            if excess <= 0:
                break
            cut = min(excess, len(t) - 1)
            self.turns[j] = [t[0], *t[1 + cut :]]

    def generate_turn(self, speaker: str) -> str:
        """Sample ``speaker``'s next turn; returns its text."""
        self.turns.append([self.ids[SPEAKER_TOKENS[speaker]]])
        speakers = [self.ids[s] for s in SPEAKER_TOKENS.values()]
        eot = self.ids[END_OF_TURN]
        written = []  # the reply, whole even if the context had to cut its start
        for _ in range(self.max_turn_tokens):
            logits = np.array(self.next_logits(), dtype=np.float64)
            logits[speakers] = -np.inf
            t = sample_token(logits, self.temperature, top_p=self.top_p, rng=self.rng)
            self.turns[-1].append(t)
            if t == eot:
                break
            written.append(t)
        else:
            self.turns[-1].append(eot)
        text = self.tok.decode(written)
        return text[1:] if text.startswith(" ") else text

    def reply(self, text: str) -> str:
        """The user's (``agent_1``'s) turn in, the model's (``agent_2``'s) turn out."""
        self.add_turn(USER, text)
        return self.generate_turn(BOT)


def chat_loop(session: ChatSession, stdin=None, stdout=None, prompt: str = "> ") -> int:
    """Read lines, print the model's reply to each; ``/reset`` starts over,
    ``/quit`` or the end of input (Ctrl-D) ends. Returns the number of replies."""
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    replies = 0
    while True:
        stdout.write(prompt)
        stdout.flush()
        line = stdin.readline()
        if not line:  # end of input
            stdout.write("\n")
            break
        line = line.strip()
        if line == "/quit":
            break
        if line == "/reset":
            session.reset()
            stdout.write("(conversation reset)\n")
            continue
        if not line:
            continue
        bad = [s for s in SPECIAL_TOKENS if s in line]
        if bad:
            stdout.write(f"(the text may not contain {', '.join(bad)}: they mark turns)\n")
            continue
        reply = " ".join(session.reply(line).splitlines())  # one line per reply
        stdout.write(f"bot: {reply}\n")
        replies += 1
    stdout.flush()
    return replies


# --- model files -----------------------------------------------------------------


class NotADialogueModel(ValueError):
    """A model file that is not a dialogue GPT from :func:`save_dialogue_model`."""


def save_dialogue_model(path, model, tok, *, metrics=None, step: int = 0) -> None:
    """Write a dialogue GPT and its tokenizer (:func:`minilm.save_model`), marked
    ``text.task = "dialogue"``, so that ``chat`` knows what it reads."""
    from .checkpoint import save_model

    ids = _special_ids(tok)
    text = {"task": TASK, "source": "topical-chat", "format": "<speaker> text<eot>",
            "speaker_tokens": dict(SPEAKER_TOKENS), "end_of_turn": END_OF_TURN,
            "stream": True, "start_id": ids["<a>"], "stop_id": ids[END_OF_TURN]}  # fmt: skip
    save_model(path, model, {"text": tok}, metrics=metrics, step=step, text=text)


def load_dialogue_model(path, device: str = "cpu"):
    """``(model, tokenizer, info)`` of a file from :func:`save_dialogue_model`; a
    :class:`minilm.io.CheckpointError` for an unreadable file and
    :class:`NotADialogueModel` for another kind of model."""
    from .checkpoint import load_model

    model, tok, info = load_model(path, device=device)
    fix = "train one with: python -m minilm.dialogue train --out FILE"
    if info.get("family") != "gpt":
        raise NotADialogueModel(f"{str(path)!r} holds a {info.get('family')} model, not a "
                                f"dialogue GPT; {fix}")  # fmt: skip
    if info.get("text", {}).get("task") != TASK:
        raise NotADialogueModel(f"{str(path)!r} is a GPT but not a dialogue model (its file has "
                                f"no text.task = 'dialogue'); {fix}")  # fmt: skip
    try:
        _special_ids(tok)
    except ValueError as e:
        raise NotADialogueModel(f"{str(path)!r}: {e}") from None
    return model, tok, info


# --- evaluation -------------------------------------------------------------------


def _test_points(conversations, n: int):
    """``n`` (context turns, true response turn) pairs spread evenly over all responses."""
    points = [(c["turns"][:r], c["turns"][r]) for c in conversations
              for r in range(1, len(c["turns"]))]  # fmt: skip
    step = max(1, len(points) // n)
    return points[::step][:n]


def _response_row(name, responses, truths, ppl=None):
    n_words = [len(r.split()) for r in responses]
    return {"model": name, "ppl_token": None if ppl is None else ppl["per_token"],
            "ppl_word": None if ppl is None else ppl["per_word"],
            "distinct_1": distinct_n(responses, 1), "distinct_2": distinct_n(responses, 2),
            "mean_words": sum(n_words) / len(n_words),
            "unigram_f1": sum(map(token_f1, responses, truths)) / len(truths)}  # fmt: skip


def evaluate(model, tok, n_generate: int = 200, k: int = 2, seed: int = 0,
             temperature: float = 0.8, top_p: float = 0.9, max_turn_tokens: int = 60,
             progress: bool = True) -> dict:  # fmt: skip
    """The comparison table on the test conversations: perplexity over every test
    response (the GPT and the unigram baseline), and for ``n_generate`` test
    contexts spread evenly over them, the responses of the GPT (sampled), of
    retrieval, and the true ones, by distinct-1/2, mean length and unigram F1.
    Returns ``{"rows": [...], "examples": [...], "n_generate", "n_responses"}``."""
    train, test = load_dialogue("train"), load_dialogue("test")
    gpt_ppl = perplexity(model, tok, test)
    uni_ppl = perplexity(UnigramLM(tok, train, model.config.block_size), tok, test)
    retriever = Retriever(train, k=k)
    points = _test_points(test, n_generate)
    session = ChatSession(model, tok, temperature=temperature, top_p=top_p,
                          max_turn_tokens=max_turn_tokens, seed=seed)  # fmt: skip
    generated, retrieved, truths, examples = [], [], [], []
    for i, (ctx, truth) in enumerate(points):
        session.reset()
        for t in ctx:
            session.add_turn(t["speaker"], t["text"])
        generated.append(session.generate_turn(truth["speaker"]))
        retrieved.append(retriever.respond(ctx))
        truths.append(truth["text"])
        if i < 3:
            examples.append({"context": ctx[-3:], "true": truth["text"],
                             "gpt": generated[-1], "retrieval": retrieved[-1]})  # fmt: skip
        if progress and (i + 1) % 50 == 0:
            print(f"  generated {i + 1}/{len(points)}", file=sys.stderr)
    rows = [
        _response_row("gpt (sampled)", generated, truths, gpt_ppl),
        _response_row(f"retrieval (tf-idf, k={k})", retrieved, truths),
        {"model": "unigram", "ppl_token": uni_ppl["per_token"], "ppl_word": uni_ppl["per_word"]},
        _response_row("true responses", truths, truths),
    ]
    return {"rows": rows, "examples": examples, "n_generate": len(points),
            "n_responses": sum(len(c["turns"]) - 1 for c in test)}  # fmt: skip


def format_table(result: dict) -> str:
    """The rows of :func:`evaluate` as a text table."""
    cols = ["ppl_token", "ppl_word", "distinct_1", "distinct_2", "mean_words", "unigram_f1"]
    width = max(len(r["model"]) for r in result["rows"])
    lines = [f"{'model':{width}}  " + "  ".join(f"{c:>10}" for c in cols)]
    for r in result["rows"]:
        cells = [f"{r[c]:10.3f}" if r.get(c) is not None else f"{'-':>10}" for c in cols]
        lines.append(f"{r['model']:{width}}  " + "  ".join(cells))
    return "\n".join(lines)


def main(argv=None) -> int:
    """``python -m minilm.dialogue train --out FILE`` or ``eval FILE``."""
    import argparse
    import json
    import time

    from . import argtypes

    p = argparse.ArgumentParser(
        prog="python -m minilm.dialogue",
        description="a Topical-Chat dialogue GPT and its baselines",
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train the tokenizer and the GPT, save them")
    t.add_argument("--out", required=True, type=argtypes.output_file)
    d = DialogueSetup()
    t.add_argument("--steps", type=argtypes.positive_int, default=d.steps)
    t.add_argument("--batch-size", type=argtypes.positive_int, default=d.batch_size)
    t.add_argument("--block-size", type=argtypes.positive_int, default=d.block_size)
    t.add_argument("--n-layer", type=argtypes.positive_int, default=d.n_layer)
    t.add_argument("--n-embd", type=argtypes.positive_int, default=d.n_embd)
    t.add_argument("--n-head", type=argtypes.positive_int, default=d.n_head)
    t.add_argument("--vocab-size", type=argtypes.int_between(260, 4096), default=d.vocab_size)
    t.add_argument("--lr", type=argtypes.learning_rate, default=d.lr)
    t.add_argument("--seed", type=argtypes.seed, default=d.seed)
    e = sub.add_parser("eval", help="print the comparison table on the test set")
    e.add_argument("model", type=argtypes.existing_file)
    e.add_argument(
        "--n-generate",
        type=argtypes.positive_int,
        default=200,
        help="test contexts to answer by sampling and by retrieval (default 200)",
    )
    e.add_argument("--k", type=argtypes.positive_int, default=2,
                   help="turns of context retrieval compares (default 2)")  # fmt: skip
    e.add_argument("--seed", type=argtypes.seed, default=0)
    e.add_argument("--json", default=None, type=argtypes.output_file, help="also write it here")
    args = p.parse_args(argv)
    if args.cmd == "train":
        setup = DialogueSetup(steps=args.steps, batch_size=args.batch_size,
                              block_size=args.block_size, n_layer=args.n_layer,
                              n_embd=args.n_embd, n_head=args.n_head,
                              vocab_size=args.vocab_size, lr=args.lr, seed=args.seed)  # fmt: skip
        t0 = time.perf_counter()
        model, tok, hist = train_dialogue_gpt(setup)
        seconds = time.perf_counter() - t0
        ppl = perplexity(model, tok, load_dialogue("test"))
        print(f"trained {model.num_parameters():,} parameters for {setup.steps} steps in "
              f"{seconds:.0f} s; test responses: perplexity {ppl['per_token']:.2f} per token, "
              f"{ppl['per_word']:.2f} per word")  # fmt: skip
        save_dialogue_model(args.out, model, tok, step=setup.steps,
                            metrics={"test_ppl_token": ppl["per_token"],
                                     "test_ppl_word": ppl["per_word"],
                                     "train_seconds": seconds})  # fmt: skip
        print(f"saved to {args.out}")
        return 0
    try:
        model, tok, _ = load_dialogue_model(args.model)
    except ValueError as err:  # CheckpointError and NotADialogueModel are ValueErrors
        print(f"dialogue eval: error: {err}", file=sys.stderr)
        return 2
    result = evaluate(model, tok, n_generate=args.n_generate, k=args.k, seed=args.seed)
    print(f"perplexity: all {result['n_responses']} test responses; the other columns: "
          f"{result['n_generate']} test contexts")  # fmt: skip
    print(format_table(result))
    for ex in result["examples"]:
        print("---")
        for turn in ex["context"]:
            print(f"{SPEAKER_TOKENS[turn['speaker']]} {turn['text']}")
        for name in ("true", "gpt", "retrieval"):
            print(f"  [{name}] {ex[name]}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
