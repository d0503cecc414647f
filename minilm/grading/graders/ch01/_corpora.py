"""Small random corpora and the dense bigram tables of minilm's n-gram models,
shared by chapter 01's graders."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.ngram.counts import take

WORDS = ["the", "cat", "sat", "on", "a", "mat", "."]


def corpora(min_sentences: int = 1, max_sentences: int = 8) -> st.SearchStrategy:
    """Lists of sentences, each a string of characters or a list of words, empty ones
    included. At least one sentence has a token."""
    chars = st.text(alphabet="abcde", max_size=7)
    words = st.lists(st.sampled_from(WORDS), max_size=7)
    sentences = st.one_of(
        st.lists(chars, min_size=min_sentences, max_size=max_sentences),
        st.lists(words, min_size=min_sentences, max_size=max_sentences),
    )
    return sentences.filter(lambda ss: any(len(s) for s in ss))


def bigram_table(lm) -> np.ndarray:
    """``table[i, j]``: how often predictable token ``lm.tokens[j]`` followed vocabulary
    token ``lm.vocab.itos[i]`` in ``lm``'s (padded) training sentences."""
    V = len(lm.vocab)
    context = np.repeat(np.arange(V), len(lm.predictable))
    following = np.tile(lm.predictable, V)
    rows = lm.counts.lookup(np.stack([context, following], axis=1))[2]
    return take(lm.counts.counts[2], rows).reshape(V, len(lm.predictable)).astype(np.float64)


def distributions(lm) -> np.ndarray:
    """``lm.distribution`` after every vocabulary token, one row per token."""
    return np.stack([lm.distribution([tok]) for tok in lm.vocab.itos])
