"""Reference solutions for chapter 02, mathematical foundations."""
