"""Reference solution: chapters/04_text_representation/exercises/ex1_bpe_merge.py."""


def count_pairs(words, freqs):
    counts = {}
    for word, freq in zip(words, freqs):
        for pair in zip(word, word[1:]):
            counts[pair] = counts.get(pair, 0) + freq
    return counts


def merge(symbols, pair, new_id):
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def bpe_step(words, freqs, new_id):
    counts = count_pairs(words, freqs)
    if not counts:
        return None
    best = min(counts, key=lambda p: (-counts[p], p))
    return best, [merge(w, best, new_id) for w in words]
