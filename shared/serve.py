"""Runs one service as a process: `python -m services.<name>`."""

import logging
import os
from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from .config import ServiceSettings

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def serve(create_app: Callable[[SettingsT], FastAPI], settings: SettingsT) -> None:
    level = os.environ.get("SAMVIRKE_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level, format=f"%(asctime)s {settings.service_name} %(levelname)s %(name)s: %(message)s"
    )
    # aiokafka is chatty at INFO about every group rebalance.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=level.lower())
