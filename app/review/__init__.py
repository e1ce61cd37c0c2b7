"""The review read model: what the product team's review console (``/v1/review``, ``ui/console.py``)
reads from the turn log, and the human labels it writes.

* ``models`` — filters, turn summaries and details, labels, the dashboard (also the API bodies);
* ``queries`` — the filters as portable SQL, a turn row as a summary, the latest human label;
* ``store`` — list turns, one turn in detail, add a label, the golden-set export;
* ``dashboard`` — the eval dashboard's raw material.

It depends on ``app.domain``, ``app.storage`` and SQLAlchemy only: no HTTP, no pipeline.
"""
