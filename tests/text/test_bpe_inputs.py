"""BPE inputs that could fool or stall the tokenizer: damaged files, lone surrogates,
long runs without spaces (issue 15, "Text inputs").

Only ``BPETokenizer`` and the module are imported at the top, so that this file also
runs against older versions of minilm (each test then fails on its own assertion).
"""

import json
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm.text.bpe as bpe_module
from minilm.bench._naive_bpe import encode_chunk_naive
from minilm.text import BPETokenizer

# --- a saved file's damage: refused with a ValueError that names the file -------------

PATTERN = r" ?\w+| ?[^\w\s]+|\s+(?!\S)|\s+"


def saved(**fields):
    """The JSON of a small valid BPE file, with ``fields`` replaced."""
    d = {"type": "BPETokenizer", "chunk_pattern": PATTERN, "merges": [[104, 105], [256, 33]],
         "special_tokens": ["<eos>"]}  # fmt: skip
    return {**d, **fields}


def doubling(n):
    """Merge i + 1 = (token i, token i): token 256 + i has 2 ** (i + 1) bytes."""
    return [[0, 0]] + [[256 + i, 256 + i] for i in range(n)]


DAMAGE = {  # case: (file contents, what the error must say after the file's name)
    # 41 merges in a few hundred bytes describe a token of 2 ** 41 bytes
    "a token of 2**41 bytes": (
        saved(merges=doubling(40)),
        r"makes a token of [\d,]+ bytes.*64 MiB",
    ),
    "negative ids": (saved(merges=[[-1, -2]]), r"merge 0 \[-1, -2\]: id -1 is negative"),
    "specials as one string": (saved(special_tokens="<eos>"), "must be a list of strings"),
    "an empty special": (saved(special_tokens=[""]), r"item 0 '' has 0"),
    "a special that is a surrogate": (saved(special_tokens=["\ud800"]), "lone surrogate"),
    "missing merges (was KeyError)": (
        {k: v for k, v in saved().items() if k != "merges"},
        "missing field 'merges'",
    ),
    "id not defined yet (was IndexError)": (saved(merges=[[300, 1]]), "id 300 is not defined"),
    "merge of three ids": (saved(merges=[[1, 2, 3]]), "merge 0 must be a pair of ids"),
    "merges a string": (saved(merges="ab"), "merges must be a list"),
    "a list, not an object": ([1, 2], "expected a JSON object, found a list"),
    "special not a string": (saved(special_tokens=[5]), "item 0 is a whole number"),
}


def _write(tmp_path, contents):
    path = tmp_path / "tok.json"
    if isinstance(contents, bytes):
        path.write_bytes(contents)
    else:  # ensure_ascii: a lone surrogate is written as the escape \ud800, as JSON allows
        path.write_text(json.dumps(contents), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", DAMAGE)
def test_load_refuses_a_damaged_file_naming_it(tmp_path, case):
    contents, message = DAMAGE[case]
    path = _write(tmp_path, contents)
    with pytest.raises(ValueError) as err:
        BPETokenizer.load(path)
    assert type(err.value) is ValueError  # not a UnicodeError or other subclass
    text = str(err.value)
    assert text.startswith(f"{path}: "), text
    assert re.search(message, text), text


@pytest.mark.parametrize(
    "data, message",
    [(b'{"type": "BPETokenizer", "merges": [[104, 1\xe9]]}', r"not UTF-8 \(byte 0xe9"),
     (b'{"type": "BPETokenizer", ', "not valid JSON"),
     (b"\x00" * 50, "not valid JSON")],
    ids=["latin-1 byte (was UnicodeDecodeError)", "truncated", "binary"],
)  # fmt: skip
def test_load_refuses_a_file_that_is_not_json_naming_it(tmp_path, data, message):
    path = _write(tmp_path, data)
    with pytest.raises(ValueError, match=message) as err:
        BPETokenizer.load(path)
    assert type(err.value) is ValueError and str(path) in str(err.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-300, 70_000) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


FIELDS = ["type", "chunk_pattern", "merges", "special_tokens", "extra"]


@given(st.sampled_from(FIELDS), json_values)
def test_any_damage_to_a_field_loads_or_is_a_value_error_naming_the_file(tmp_path_factory,
                                                                        field, value):  # fmt: skip
    path = tmp_path_factory.mktemp("damaged") / "tok.json"
    path.write_text(json.dumps(saved(**{field: value})), encoding="utf-8")
    try:
        tok = BPETokenizer.load(path)
    except ValueError as e:
        assert type(e) is ValueError and str(e).startswith(f"{path}: "), e
    else:
        assert tok.decode(tok.encode("hi! <eos>")) == "hi! <eos>"


def test_the_constructor_refuses_what_load_refuses():
    with pytest.raises(ValueError, match="over 64 MiB in all"):  # before building any bytes
        BPETokenizer(doubling(40))
    with pytest.raises(ValueError, match="must be a list of strings, got a str"):
        BPETokenizer(special_tokens="<eos>")  # not five one-character specials
    with pytest.raises(ValueError, match="is negative"):
        BPETokenizer([(-1, -2)])


# --- lone surrogates ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, where, code",
    [("ab\ud800", 2, "D800"), ("\udc80", 0, "DC80"), ("x \ud83d\ude00", 2, "D83D")],
    ids=["high", "low (surrogateescape)", "a split surrogate pair"],
)
def test_a_lone_surrogate_is_a_value_error_naming_its_position(text, where, code):
    tok = BPETokenizer([(104, 105)], ["<eos>"])
    for call in (tok.encode, lambda t: BPETokenizer().train(t, 260)):
        with pytest.raises(ValueError) as err:
            call(text)
        assert type(err.value) is ValueError  # not UnicodeEncodeError
        message = str(err.value)
        assert f"text[{where}] is a lone surrogate" in message and f"(U+{code})" in message
        assert "errors='replace'" in message  # what to do about it


@given(st.text(), st.integers(0, 0xDFFF - 0xD800), st.integers(0, 100))
def test_a_surrogate_anywhere_is_named_at_its_index(s, offset, at):
    s = s.replace("\ud800", "")  # st.text() never draws surrogates, but be sure
    at = min(at, len(s))
    bad = s[:at] + chr(0xD800 + offset) + s[at:]
    with pytest.raises(ValueError, match=rf"^text\[{at}\] is a lone surrogate"):
        BPETokenizer([(104, 105)]).encode(bad)


def test_the_surrogate_escapes_of_undecodable_bytes_are_refused_with_advice():
    text = b"caf\xe9".decode("utf-8", errors="surrogateescape")  # 'caf\udce9'
    with pytest.raises(ValueError, match=r"text\[3\].*surrogateescape.*errors='replace'"):
        BPETokenizer().encode(text)
    fixed = b"caf\xe9".decode("utf-8", errors="replace")
    assert BPETokenizer().decode(BPETokenizer().encode(fixed)) == "caf\ufffd"


# --- long runs: the linked-list-and-heap merge equals the simple quadratic one --------


@st.composite
def merge_tables(draw, alphabet=b"abc"):
    """Valid merge tables over a few byte values, so that merges chain and overlap
    (``(a, a)`` pairs, tokens merged with themselves, long chains)."""
    ids, merges = list(alphabet), []
    for _ in range(draw(st.integers(0, 25))):
        pair = (draw(st.sampled_from(ids)), draw(st.sampled_from(ids)))
        if pair not in merges:
            merges.append(pair)
            ids.append(255 + len(merges))
    return merges


@given(merge_tables(), st.binary(max_size=300).map(lambda b: bytes(97 + x % 3 for x in b)))
def test_encode_chunk_equals_the_quadratic_reference(merges, chunk):
    tok = BPETokenizer(merges)
    assert tok.encode_chunk(chunk) == encode_chunk_naive(merges, chunk)


@given(merge_tables(), st.integers(0, 400), st.sampled_from([b"a", b"ab", b"abc", b"aab"]))
def test_encode_chunk_equals_the_reference_on_repeats(merges, n, unit):
    chunk = unit * n  # the hard case for overlapping pairs: runs of one pattern
    assert BPETokenizer(merges).encode_chunk(chunk) == encode_chunk_naive(merges, chunk)


def test_a_long_run_without_spaces_encodes_as_the_reference_does():
    text = "the quick brown fox jumps over the lazy dog; " * 40
    tok = BPETokenizer()
    tok.train(text, 256 + 60)
    rng = random.Random(0)
    run = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(20_000))
    ids = tok.encode(run)  # one chunk
    assert ids == encode_chunk_naive(tok.merges, run.encode())
    assert tok.decode(ids) == run and len(ids) < len(run)


def test_the_chunk_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(bpe_module, "CACHE_SIZE", 10)
    tok = BPETokenizer([(104, 105)])
    words = [f" w{i}" for i in range(200)]
    ids = tok.encode("".join(words))
    assert len(tok._cache) <= 10
    assert tok.decode(ids) == "".join(words)
    tok._cache.clear()
    long_chunk = "x" * (bpe_module.CACHE_CHARS + 1)
    assert tok.encode(long_chunk) == list(long_chunk.encode())
    assert tok._cache == {}  # a long chunk is merged each time, never remembered


class CountingDict(dict):
    """A dict that counts its lookups: the work ``encode_chunk`` does, without a clock."""

    lookups = 0

    def get(self, key, default=None):
        self.lookups += 1
        return super().get(key, default)

    def __contains__(self, key):
        self.lookups += 1
        return super().__contains__(key)

    def __getitem__(self, key):
        self.lookups += 1
        return super().__getitem__(key)


def test_encoding_a_run_looks_up_a_bounded_number_of_pairs_per_byte():
    rng = random.Random(1)
    words = ("".join(rng.choices("abcdef", k=rng.randint(2, 9))) for _ in range(2000))
    tok = BPETokenizer()
    tok.train(" ".join(words), 256 + 200)  # 200 merges, most of them apply to a random run
    tok.ranks = CountingDict(tok.ranks)
    for n in (1_000, 4_000):
        run = "".join(rng.choices("abcdef", k=n)).encode()
        tok.ranks.lookups = 0
        ids = tok.encode_chunk(run)
        assert ids == encode_chunk_naive(tok.merges, run)
        # Each byte starts one pair and each merge makes at most two, so the work is
        # linear; re-scanning the whole run for every merge applied (the quadratic
        # algorithm) takes about 50 lookups per byte here.
        assert tok.ranks.lookups <= 5 * n, tok.ranks.lookups
