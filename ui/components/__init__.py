"""Pieces of the shopper chat page, one concern each."""
