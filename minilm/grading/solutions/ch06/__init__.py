"""Reference solutions for chapter 06, attention and seq2seq."""
