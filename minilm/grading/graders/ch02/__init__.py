"""Graders for chapter 02, mathematical foundations."""
