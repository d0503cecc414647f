"""Reference solutions for chapter 11, reinforcement learning."""
