"""``create_app()``: the FastAPI application factory. It only assembles the app: the lifespan
(``app/api/lifespan.py``), error handlers, middleware and routers."""

from __future__ import annotations

from fastapi import FastAPI

from app.api.edge import install_edge
from app.api.faults import install_fault_handlers
from app.api.lifespan import make_lifespan
from app.api.middleware import WorkerPidHeader
from app.api.routes import cart as cart_route
from app.api.routes import chat, conversations, health
from app.api.routes import events as events_route
from app.api.routes import feedback as feedback_route
from app.api.routes import orders as orders_route
from app.api.routes import recommend as recommend_route
from app.api.routes import review as review_route
from app.api.routes import stream as stream_route
from app.api.validation import install_validation_handler
from app.bootstrap import Services
from app.settings import Settings


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the app. ``services`` may be passed in (tests share one set across apps); otherwise
    the lifespan builds them once per worker process from ``settings``."""
    settings = settings or Settings()
    app = FastAPI(
        title="chat-to-purchase",
        version="0.1.0",
        description="Conversational shopping over a real catalog: grounded replies, calibrated "
        "abstention, every turn logged.",
        lifespan=make_lifespan(settings, services),
    )
    install_validation_handler(app)  # malformed requests → 422 with a readable detail
    install_fault_handlers(app)  # Redis / index / database outages → 503 with Retry-After
    app.add_middleware(WorkerPidHeader)
    install_edge(app, settings)  # body-size limit, rate limits, CORS (app/api/edge.py)
    app.include_router(health.router)
    app.include_router(chat.router)
    app.include_router(stream_route.router)
    app.include_router(conversations.router)
    app.include_router(feedback_route.router)
    app.include_router(events_route.router)
    app.include_router(recommend_route.router)
    app.include_router(cart_route.router)
    app.include_router(orders_route.router)
    app.include_router(review_route.router)
    return app
