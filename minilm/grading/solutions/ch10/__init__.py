"""Reference solutions for chapter 10, generative models."""
