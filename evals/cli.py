"""``ctp evals``: offline evaluations, one subcommand per eval suite."""

from __future__ import annotations

import typer

from evals.abstention import abstention, guard_latency
from evals.extraction_cli import extraction
from evals.pii_bench import pii
from evals.redteam_cli import redteam
from evals.runner_cli import register as register_classification_evals

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.command(name="abstention")(abstention)
app.command(name="guard-latency")(guard_latency)
app.command(name="extraction")(extraction)
app.command(name="redteam")(redteam)
app.command(name="pii")(pii)
register_classification_evals(app)  # run, worker, status, simulate, train-classifier
