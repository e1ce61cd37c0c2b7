"""The product team's review API (``/v1/review``): every route needs a reviewer key.

The console (``ui/console.py``) is only a client of these routes; hiding it from shoppers is not what
keeps them out — ``ReviewerDep`` on each route is. The queries live in ``app/review/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path as FsPath
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, BackgroundTasks, HTTPException, Path, Query, status
from fastapi.responses import FileResponse, StreamingResponse

from app.api.deps import ServicesDep, SettingsDep
from app.api.schemas import ErrorBody
from app.api.security import ReviewerDep
from app.review.dashboard import abstention_plot_path, dashboard
from app.review.interleaving import InterleavingReport, interleaving
from app.review.models import Dashboard, HumanLabel, HumanLabelIn, TurnDetail, TurnFilters, TurnPage
from app.review.store import add_label, export_lines, list_turns, turn_detail
from app.telemetry.annotations import export_pending, phoenix_annotator

router = APIRouter(
    prefix="/v1/review",
    tags=["review"],
    responses={
        401: {"model": ErrorBody, "description": "Missing or unknown staff API key"},
        403: {"model": ErrorBody, "description": "The key's role is too low"},
    },
)

TurnId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


@router.get("/me")
async def me(principal: ReviewerDep) -> dict[str, str]:
    """Who the key belongs to: the console's login check."""
    return {"name": principal.name, "role": principal.role}


@router.get("/turns", response_model=TurnPage, responses={401: {"model": ErrorBody}})
async def get_turns(
    _: ReviewerDep,
    services: ServicesDep,
    filters: Annotated[TurnFilters, Query()],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,  # SQLite integers are 64-bit
) -> TurnPage:
    """Logged turns, newest first, matching every filter given."""
    return await to_thread.run_sync(list_turns, services.engine, filters, limit, offset)


@router.get("/turns/{turn_id}", response_model=TurnDetail, responses={404: {"model": ErrorBody}})
async def get_trace(turn_id: TurnId, _: ReviewerDep, services: ServicesDep) -> TurnDetail:
    """Everything about one turn: the record, events, judge labels and the human label history."""
    result = await to_thread.run_sync(turn_detail, services.engine, services.catalog, turn_id)
    if result is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown turn '{turn_id}'")
    return result


@router.post(
    "/turns/{turn_id}/labels",
    response_model=HumanLabel,
    status_code=status.HTTP_201_CREATED,
    responses={400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody}},
)
async def post_label(
    turn_id: TurnId,
    body: HumanLabelIn,
    principal: ReviewerDep,
    services: ServicesDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> HumanLabel:
    """Set or correct one evaluator's label on a turn, as the calling reviewer, now. With Phoenix
    configured the label is then posted as a HUMAN annotation on the turn's span, after the
    response; if Phoenix is down it stays pending and the eval worker posts it later."""
    result = await to_thread.run_sync(add_label, services.engine, turn_id, body, principal.name)
    if result is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown turn '{turn_id}'")
    annotator = phoenix_annotator(settings.phoenix_url, settings.phoenix_enabled)
    if annotator is not None:
        background.add_task(export_pending, services.engine, annotator, settings.phoenix_batch)
    return result


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "one labelled turn per line"}},
)
async def export(
    _: ReviewerDep, services: ServicesDep, start: datetime | None = None, end: datetime | None = None
) -> StreamingResponse:
    """The golden set: every human-labelled turn as one JSON line, latest label per evaluator."""
    lines = await to_thread.run_sync(export_lines, services.engine, start, end)

    def body() -> Iterator[str]:
        yield from lines

    return StreamingResponse(
        body(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="golden_labels.jsonl"'},
    )


@router.get("/dashboard", response_model=Dashboard)
async def get_dashboard(
    _: ReviewerDep, services: ServicesDep, start: datetime | None = None, end: datetime | None = None
) -> Dashboard:
    """The raw material of the eval dashboard; the console computes rates and matrices from it."""
    var_dir = FsPath(services.settings.var_dir)
    return await to_thread.run_sync(dashboard, services.engine, var_dir, start, end)


@router.get("/interleaving", response_model=InterleavingReport)
async def get_interleaving(
    _: ReviewerDep, services: ServicesDep, start: datetime | None = None, end: datetime | None = None
) -> InterleavingReport:
    """The online comparison (``CTP_INTERLEAVE``): per ranker pair, impressions, wins, losses, ties
    and the win rate with its 95 % Wilson interval, from the interleaved turns and their events."""
    return await to_thread.run_sync(interleaving, services.engine, start, end)


@router.get("/abstention.png", response_class=FileResponse, responses={404: {"model": ErrorBody}})
async def abstention_plot(_: ReviewerDep, services: ServicesDep) -> FileResponse:
    """The risk–coverage plot ``ctp evals abstention`` wrote, if it has run."""
    plot = abstention_plot_path(FsPath(services.settings.var_dir))
    if not plot.exists():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no abstention plot yet: run `ctp evals abstention`")
    return FileResponse(plot, media_type="image/png")
