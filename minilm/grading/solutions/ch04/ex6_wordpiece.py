"""Reference solution: chapters/04_text_representation/exercises/ex6_wordpiece.py."""


def wordpiece(word, vocab, unk="[UNK]", max_chars=100):
    vocab = set(vocab)
    if len(word) > max_chars:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        prefix = "##" if start > 0 else ""
        for end in range(len(word), start, -1):  # the longest candidate first
            piece = prefix + word[start:end]
            if piece in vocab:
                break
        else:
            return [unk]  # nothing matches here: the whole word is unknown
        pieces.append(piece)
        start = end
    return pieces
