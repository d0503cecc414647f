"""Reference solution: chapters/04_text_representation/exercises/ex3_vocabulary.py."""

from collections import Counter


def build_vocab(tokens, min_count=1, max_size=None, specials=(), unk=None):
    itos = list(specials) + ([unk] if unk is not None else [])
    ranked = Counter(tokens).most_common(max_size)
    itos += [w for w, c in ranked if c >= min_count and w not in itos]
    return itos


def encode(tokens, itos, unk=None):
    stoi = {w: i for i, w in enumerate(itos)}
    unknown = [w for w in tokens if w not in stoi]
    if unknown and unk is None:
        raise KeyError(f"{unknown[0]!r} is not in the vocabulary; pass unk to map unknown tokens")
    return [stoi.get(w, stoi.get(unk)) for w in tokens]
