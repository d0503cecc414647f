"""Exercise 6 (5 points): WordPiece's greedy longest-match-first, for one word.

BERT cuts each word into pieces of its vocabulary, from the left, always
taking the **longest** piece that matches where it stands. A piece that does
not start the word is written with ``##`` in front (``"##able"``): the
vocabulary holds word-initial pieces and continuation pieces separately. With
the vocabulary ``{"un", "##aff", "##able", "##a", "a"}``:

    "unaffable"  ->  ["un", "##aff", "##able"]

("un" is the longest piece that starts the word; after it, "##aff" is the
longest continuation; then "##able").

If at some position no piece matches (not even one character long), the
**whole word** is ``unk`` (one token, BERT's rule), even if its start did
match: ``"unb" -> ["[UNK]"]``. A word longer than ``max_chars`` characters is
``unk`` too, without trying.

Return the list of pieces (strings, with their ``##``). ``vocab`` is a list of
strings (make a set of it for fast lookups); leave it as it was.

Checked against ``minilm.text.WordPieceTokenizer.encode_word`` (which you may
not call) on random vocabularies and words: the longest match first (2
points), continuation pieces marked ``##`` and looked up as such (1 point),
an unmatched position makes the whole word unknown (1 point), ``max_chars``
(1 point).

    python -m minilm grade chapters/04_text_representation/exercises/ex6_wordpiece.py
"""


def wordpiece(word, vocab, unk="[UNK]", max_chars=100):
    """The pieces of ``word`` under ``vocab`` (a list of pieces), greedy longest-match-first."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write wordpiece")
    ### END YOUR SOLUTION
