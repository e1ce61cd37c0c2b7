"""Liveness and readiness."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.api.deps import ServicesDep
from app.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up. Never touches a dependency, so it cannot cascade an outage into restarts."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(services: ServicesDep) -> JSONResponse:
    """Ready to take turns: Redis answers, the database answers, the index has the catalog."""
    checks: dict[str, str] = {}
    try:
        checks["state"] = "ok" if await services.state.ping() else "down"
    except Exception as exc:  # a readiness probe reports, it does not raise
        checks["state"] = f"down: {type(exc).__name__}"

    def _db() -> None:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    try:
        await to_thread.run_sync(_db)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"down: {type(exc).__name__}"
    try:
        n = services.index.count()
        checks["index"] = "ok" if n > 0 else "empty"
    except Exception as exc:
        checks["index"] = f"down: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    body = Health(status="ready" if ok else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)
