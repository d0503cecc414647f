"""Reference solutions for chapter 12, deployment and safety."""
