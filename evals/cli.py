"""``ctp evals``: offline evaluations, one subcommand per eval suite."""

from __future__ import annotations

import typer

from evals.abstention import abstention, guard_latency
from evals.dialogue_cli import dialogue, storehelp
from evals.encoder_quality import encoders
from evals.extraction_cli import extraction
from evals.guard_training import train_guard
from evals.pii_bench import pii
from evals.redteam_cli import redteam
from evals.runner_cli import register as register_classification_evals

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.command(name="abstention")(abstention)
app.command(name="guard-latency")(guard_latency)
app.command(name="train-guard")(train_guard)
app.command(name="extraction")(extraction)
app.command(name="encoders")(encoders)
app.command(name="redteam")(redteam)
app.command(name="dialogue")(dialogue)
app.command(name="storehelp")(storehelp)
app.command(name="pii")(pii)
register_classification_evals(app)  # run, worker, status, simulate, train-classifier
