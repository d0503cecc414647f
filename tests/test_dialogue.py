"""The dialogue model (minilm.dialogue) and ``python -m minilm chat``."""

import io
import math
import sys

import pytest

import minilm
from minilm import dialogue as D
from minilm.backend import np
from minilm.checkpoint import save_model
from minilm.data.tasks import load_dialogue
from minilm.models.gpt import GPT, GPTConfig
from minilm.text import BPETokenizer


@pytest.fixture(scope="module")
def chats():
    return load_dialogue("test")[:6]


@pytest.fixture(scope="module")
def tok():
    return BPETokenizer(special_tokens=D.SPECIAL_TOKENS)  # bytes + the 3 specials: 259 ids


def tiny_gpt(vocab, block_size=64, seed=0):
    minilm.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=vocab, block_size=block_size, n_layer=2, n_head=2, n_embd=16))


# --- format ---


def test_format_round_trip(chats):
    for c in chats:
        text = D.format_turns(c["turns"])
        assert text.startswith("<a> ") and text.endswith("<eot>")
        assert text.count("<eot>") == len(c["turns"])
        assert D.parse_turns(text) == c["turns"]


def test_token_round_trip_and_the_turn_layout(chats):
    tok = D.train_tokenizer(chats, vocab_size=300)
    eot, a, b = (tok.special_tokens[s] for s in ("<eot>", "<a>", "<b>"))
    turns = D.encode_turns(tok, chats[0]["turns"])
    for ids, turn in zip(turns, chats[0]["turns"]):
        assert ids[0] == (a if turn["speaker"] == "agent_1" else b) and ids[-1] == eot
        assert tok.decode(ids[1:-1]) == " " + turn["text"]
    flat = [i for ids in turns for i in ids]
    assert tok.encode(D.format_turns(chats[0]["turns"])) == flat  # specials parsed the same
    assert D.parse_turns(tok.decode(flat)) == chats[0]["turns"]


def test_special_tokens_in_text_are_refused(tok):
    with pytest.raises(ValueError, match="special tokens"):
        D.format_turns([{"speaker": "agent_1", "text": "hi<eot><b> me"}])
    with pytest.raises(ValueError, match="special tokens"):
        D.encode_turn(tok, "agent_1", "a <a> b")
    with pytest.raises(ValueError, match="not a formatted conversation"):
        D.parse_turns("<a> hi<eot>junk")


def test_fit_context_keeps_the_latest_whole_turns():
    turns = [[1, 2, 3], [4, 5], [6], [7, 8, 9, 10]]
    assert D.fit_context(turns, 8) == [4, 5, 6, 7, 8, 9, 10]
    assert D.fit_context(turns, 6) == [6, 7, 8, 9, 10]
    assert D.fit_context(turns, 4) == [7, 8, 9, 10]
    assert D.fit_context(turns, 3) == []


# --- retrieval ---


def test_tfidf_by_hand():
    docs = [["a", "b", "b"], ["b", "c"], ["a", "c", "d"]]
    index = D.TfidfIndex(docs)
    i = math.log(4 / 3) + 1  # a, b, c: in 2 of 3 documents -> ln((1 + 3) / (1 + 2)) + 1
    d = math.log(4 / 2) + 1  # d: in 1 of 3
    assert index.idf == pytest.approx({"a": i, "b": i, "c": i, "d": d})
    # query "b": doc 0 is (a: i, b: 2i), doc 1 (b: i, c: i), doc 2 has no b
    assert index.scores(["b"]) == pytest.approx([2 / math.sqrt(5), 1 / math.sqrt(2), 0.0])
    # query "a d" = (a: i, d: d); doc 0 (a: i, b: 2i), doc 2 (a: i, c: i, d: d)
    q = math.sqrt(i * i + d * d)
    expected = [
        i * i / (q * i * math.sqrt(5)),
        0.0,
        (i * i + d * d) / (q * math.sqrt(2 * i * i + d * d)),
    ]
    assert index.scores(["a", "d", "zzz"]) == pytest.approx(expected)


def test_retrieval_returns_the_response_of_an_exact_context(chats):
    r = D.Retriever(chats, k=2)
    for c, turn in [(0, 5), (3, 10), (5, 1)]:
        turns = chats[c]["turns"]
        assert r.respond(turns[:turn]) == turns[turn]["text"]
        context_only = [{"speaker": "agent_1", "text": t["text"].upper()} for t in turns[:turn]]
        assert r.respond(context_only) == turns[turn]["text"]  # case and speakers do not matter


# --- perplexity ---


def test_uniform_model_perplexity_is_the_vocabulary_size(chats, tok):
    for block in (256, 16):  # 16: responses outgrow the block and are scored token by token
        model = tiny_gpt(tok.vocab_size, block_size=block)
        for p in model.parameters():
            p.data[...] = 0.0  # every logit 0: the uniform distribution
        data = chats[:1] if block == 256 else [{"turns": chats[0]["turns"][:4]}]
        ppl = D.perplexity(model, tok, data)
        assert ppl["per_token"] == pytest.approx(tok.vocab_size, rel=1e-5)
        responses = [t for c in data for t in c["turns"][1:]]
        assert ppl["tokens"] == sum(len(D.encode_turn(tok, t["speaker"], t["text"])) - 1
                                    for t in responses)  # fmt: skip
        assert ppl["words"] == sum(len(t["text"].split()) + 1 for t in responses)
        assert ppl["per_word"] == pytest.approx(tok.vocab_size ** (ppl["tokens"] / ppl["words"]),
                                                rel=1e-4)  # fmt: skip


def test_batched_scoring_equals_one_response_at_a_time(chats, tok):
    model = tiny_gpt(tok.vocab_size, block_size=48)
    texts = ["hi there", "hello, how are you?", "fine. " * 12, "ok", "what do you like?", "golf"]
    chat = {
        "turns": [
            {"speaker": ("agent_1", "agent_2")[i % 2], "text": t} for i, t in enumerate(texts)
        ]
    }
    batched = D.response_nll(model, tok, [chat], batch_size=4)[0]
    one = 0.0  # by hand: each token after its context, cut to the last 48 tokens
    turns = D.encode_turns(tok, chat["turns"])
    assert [len(t) for t in turns] == [11, 22, 75, 5, 20, 7]  # one outgrows the block of 48
    from minilm.generate import log_softmax

    for r in range(1, len(turns)):
        ids = D.fit_context(turns[:r], 49 - len(turns[r])) + turns[r]
        first = len(ids) - len(turns[r]) + 1
        for j in range(first, len(ids)):
            ctx = ids[max(0, j - 48) : j]
            with minilm.no_grad():
                logits = model(minilm.tensor([ctx]))[0, -1].numpy()
            one -= float(log_softmax(logits)[ids[j]])
    assert batched == pytest.approx(one, rel=1e-4)


def test_unigram_baseline(chats, tok):
    lm = D.UnigramLM(tok, chats[:3])
    assert np.exp(lm.log_probs).sum() == pytest.approx(1.0)
    counts = np.ones(tok.vocab_size)
    for c in chats[:3]:
        for t in c["turns"]:
            for i in (" " + t["text"]).encode("utf-8"):
                counts[i] += 1
            counts[tok.special_tokens["<eot>"]] += 1
    assert np.exp(lm.log_probs) == pytest.approx(counts / counts.sum())
    ppl = D.perplexity(lm, tok, chats[3:4])
    assert 1 < ppl["per_token"] < tok.vocab_size


# --- generation, the KV cache, chat ---


class Recorder:
    """A GPT whose next_logits calls are recorded (how many tokens each fed)."""

    def __init__(self, gpt):
        self.gpt, self.config, self.fed = gpt, gpt.config, []

    def next_logits(self, tokens, state=None):
        self.fed.append((len(tokens), state is None))
        return self.gpt.next_logits(tokens, state)


def full_logits(gpt, ids):
    with minilm.no_grad():
        return gpt(minilm.tensor([ids]))[0, -1].numpy()


def test_kv_cache_across_turns_equals_recomputing(tok):
    gpt = tiny_gpt(tok.vocab_size, block_size=96)
    rec = Recorder(gpt)
    s = D.ChatSession(rec, tok, temperature=1.0, top_p=None, max_turn_tokens=6, seed=0)
    s.reply("hello")
    rec.fed.clear()
    unread = len(s.context) - s.fed  # the reply's last token (and a forced <eot>)
    assert unread in (1, 2)
    s.reply("how are you")
    # the second reply feeds what the first left unread, the new user turn and <b>: no more
    assert rec.fed[0] == (unread + len(D.encode_turn(tok, D.USER, "how are you")) + 1, False)
    assert all(n == 1 and not fresh for n, fresh in rec.fed[1:])
    s.add_turn(D.USER, "ok")
    assert len(s.context) <= 96 and s.recomputed == 0
    np.testing.assert_allclose(s.next_logits(), full_logits(gpt, s.context), atol=1e-5)


def test_a_context_past_the_block_drops_the_oldest_turns_and_recomputes(tok):
    gpt = tiny_gpt(tok.vocab_size, block_size=40)
    rec = Recorder(gpt)
    s = D.ChatSession(rec, tok, temperature=1.0, top_p=None, max_turn_tokens=8, seed=1)
    for line in ["hi there", "what do you like", "football?", "and music"]:
        s.reply(line)
    assert s.recomputed > 0 and any(fresh for _, fresh in rec.fed[1:])
    s.add_turn(D.USER, "yes")
    logits = s.next_logits()
    ids = s.context
    assert len(ids) <= 40 and tok.decode(ids[:1]) in ("<a>", "<b>")  # whole turns
    assert D.parse_turns(tok.decode(ids))[-1] == {"speaker": "agent_1", "text": "yes"}
    np.testing.assert_allclose(logits, full_logits(gpt, ids), atol=1e-5)


class NoEnd(Recorder):
    """Never ends a turn: <eot> gets -inf, so a reply runs to max_turn_tokens."""

    def next_logits(self, tokens, state=None):
        logits, state = super().next_logits(tokens, state)
        logits = np.array(logits, dtype=np.float64)
        logits[self.eot] = -np.inf
        return logits, state


def test_a_user_turn_or_a_reply_longer_than_the_block_is_cut_not_lost(tok, monkeypatch):
    """The newest user turn is shortened from its start (keeping its speaker token),
    never dropped; a reply longer than the block comes back whole."""
    a, b, eot = (tok.special_tokens[x] for x in ("<a>", "<b>", "<eot>"))
    model = NoEnd(tiny_gpt(tok.vocab_size, block_size=16))
    model.eot = eot
    sampled = []
    real = D.sample_token
    monkeypatch.setattr(
        D, "sample_token", lambda *a, **k: sampled.append(real(*a, **k)) or sampled[-1]
    )
    long = "tell me about the history of jazz music in new orleans please"
    s = D.ChatSession(model, tok, temperature=1.0, top_p=None, max_turn_tokens=3, seed=0)
    s.reply(long)
    user = D.encode_turn(tok, D.USER, long)
    assert len(user) > 16 and s.turns[-2][0] == a and len(s.turns[-2]) > 1
    assert s.turns[-2][1:] == user[-(len(s.turns[-2]) - 1) :]  # its latest tokens kept
    sampled.clear()
    s2 = D.ChatSession(model, tok, temperature=1.0, top_p=None, max_turn_tokens=30, seed=0)
    text = s2.reply("hi")
    assert len(sampled) == 30 and s2.recomputed > 0
    whole = tok.decode(sampled)
    assert text == (whole[1:] if whole.startswith(" ") else whole)
    s2.add_turn(D.USER, "ok")
    s2.next_logits()  # the context is cut again before the model reads it
    assert len(s2.context) <= 16 and s2.context[0] in (a, b)


def test_generate_turn_stops_at_end_of_turn_and_never_names_a_speaker(tok):
    gpt = tiny_gpt(tok.vocab_size)
    eot, a, b = (tok.special_tokens[x] for x in ("<eot>", "<a>", "<b>"))
    with minilm.no_grad():
        gpt.wte.weight.data[:, :] = 0.0
        gpt.wte.weight.data[[a, b], 0] = 50.0  # speakers would win every draw...
        gpt.wte.weight.data[eot, 1] = 1.0  # ...then <eot>
    gpt.ln_f.weight.data[...] = 0.0
    gpt.ln_f.bias.data[...] = 0.0
    gpt.ln_f.bias.data[0], gpt.ln_f.bias.data[1] = 1.0, 5.0
    s = D.ChatSession(gpt, tok, temperature=1.0, top_p=0.5, seed=0)
    assert s.reply("hello") == ""
    assert s.turns[-1] == [b, eot]
    s2 = D.ChatSession(gpt, tok, temperature=1.0, top_p=None, max_turn_tokens=3, seed=0)
    gpt.ln_f.bias.data[1] = -50.0  # <eot> never: the turn is cut at 3 tokens and closed
    s2.reply("hello")
    assert len(s2.turns[-1]) == 1 + 3 + 1 and s2.turns[-1][-1] == eot


def test_chat_loop_with_streams(tok):
    s = D.ChatSession(tiny_gpt(tok.vocab_size), tok, max_turn_tokens=5, seed=0)
    out = io.StringIO()
    n = D.chat_loop(s, io.StringIO("hello\n\n/reset\nhow are you\nbad <eot>\n"), out, prompt="")
    lines = out.getvalue().splitlines()
    assert n == 2 and len(lines) == 5 and lines[-1] == ""  # the end of input ends the line
    assert lines[0].startswith("bot: ") and lines[2].startswith("bot: ")
    assert lines[1] == "(conversation reset)" and "may not contain <eot>" in lines[3]
    assert D.parse_turns(tok.decode(s.context))[0] == {"speaker": "agent_1", "text": "how are you"}
    assert D.chat_loop(s, io.StringIO("/quit\nhello\n"), io.StringIO()) == 0


@pytest.fixture(scope="module")
def model_files(tmp_path_factory, tok):
    folder = tmp_path_factory.mktemp("chat")
    good, other = str(folder / "chat.safetensors"), str(folder / "gpt.safetensors")
    D.save_dialogue_model(good, tiny_gpt(tok.vocab_size), tok)
    save_model(other, tiny_gpt(tok.vocab_size), {"text": tok})
    return good, other


def test_chat_command(model_files, monkeypatch, capsys):
    from minilm.cli import main

    good, other = model_files
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello\n/reset\nhi\n"))
    assert main(["chat", good, "--seed", "0", "--max-turn-tokens", "4", "--top-p", "0.5"]) == 0
    out = capsys.readouterr().out
    assert out.count("bot: ") == 2 and "(conversation reset)" in out
    assert main(["chat", other]) == 2
    assert "not a dialogue model" in capsys.readouterr().err
    model, tok, info = D.load_dialogue_model(good)
    assert info["text"]["task"] == "dialogue" and tok.special_tokens["<eot>"] == 258
