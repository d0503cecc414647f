"""Reference solutions for chapter 04, text representation."""
