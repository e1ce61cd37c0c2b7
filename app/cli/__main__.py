"""``python -m app.cli``: the same as the ``ctp`` script."""

from app.cli import main

main()
