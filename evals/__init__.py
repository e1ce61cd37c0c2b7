"""Offline evaluations: golden sets, metrics and reports for each pipeline stage."""
