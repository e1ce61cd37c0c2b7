"""The review read model without HTTP: the latest human label wins, labels are checked against the
vocabulary, and the package stays below the HTTP layer and the pipeline."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from app.review.models import HumanLabel, HumanLabelIn, TurnFilters
from app.review.queries import latest_human, where_clauses

AT = datetime(2025, 1, 1, tzinfo=UTC)


def label(id_: int, evaluator: str, value: str, at: datetime = AT) -> HumanLabel:
    return HumanLabel(
        id=id_, turn_id="t_1", evaluator=evaluator, label=value, note="", reviewer="r", created_at=at
    )


def test_the_newest_label_per_evaluator_wins_and_ties_go_to_the_later_row() -> None:
    rows = [
        label(3, "refusal", "answered"),
        label(1, "refusal", "refused"),
        label(2, "relevance", "relevant", AT.replace(year=2024)),
    ]
    latest = latest_human(rows)
    assert {k: v.label for k, v in latest.items()} == {"refusal": "answered", "relevance": "relevant"}


def test_a_label_outside_the_evaluators_vocabulary_is_refused() -> None:
    with pytest.raises(ValidationError):
        HumanLabelIn(evaluator="refusal", label="hallucinated")


def test_only_the_filters_given_become_conditions() -> None:
    assert where_clauses(TurnFilters()) == []
    assert len(where_clauses(TurnFilters(abstained=True, q="50%_off", feedback="none"))) == 3


def test_the_read_model_imports_no_http_pipeline_or_offline_code() -> None:
    probe = (
        "import sys, app.review.store, app.review.dashboard; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('evals', 'recsys') "
        "or m.startswith(('app.api', 'app.pipeline', 'app.bootstrap'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
