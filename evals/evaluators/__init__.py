"""Evaluators: one label per (turn, evaluator, backend). See ``evals/labels.py`` for the labels."""
