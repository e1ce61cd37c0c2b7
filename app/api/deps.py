"""Dependencies as ``Annotated`` aliases, so route signatures read like sentences and tests can
override one component at a time (``app.dependency_overrides``)."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from app.bootstrap import Services
from app.pipeline.turn import TurnPipeline
from app.settings import Settings


def get_services(request: Request) -> Services:
    return cast(Services, request.state.services)


def get_pipeline(services: Annotated[Services, Depends(get_services)]) -> TurnPipeline:
    return services.pipeline


def get_settings(services: Annotated[Services, Depends(get_services)]) -> Settings:
    return services.settings


ServicesDep = Annotated[Services, Depends(get_services)]
PipelineDep = Annotated[TurnPipeline, Depends(get_pipeline)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
