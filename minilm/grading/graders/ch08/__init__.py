"""Graders for chapter 08, pretraining and fine-tuning."""
