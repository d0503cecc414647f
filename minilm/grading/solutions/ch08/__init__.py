"""Reference solutions for chapter 08, pretraining and fine-tuning."""
