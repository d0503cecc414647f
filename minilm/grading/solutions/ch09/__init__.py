"""Reference solutions for chapter 09, training and optimization."""
