"""Reference solutions for chapter 03, neural networks."""
