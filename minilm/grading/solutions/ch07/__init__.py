"""Reference solutions for chapter 07, transformers."""
