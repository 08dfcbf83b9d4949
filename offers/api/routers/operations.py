"""For probes and Prometheus: no key, no user data (keep the port on a private network)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backbeat import __version__
from offers.api.dependencies import Reader
from offers.api.schemas import Health

router = APIRouter()


@router.get("/healthz", responses={503: {"description": "Redis does not answer"}})
async def healthz(read: Reader) -> Health:
    await read.client.ping()
    return Health(status="ok", redis="ok", version=__version__)


@router.get("/metrics", include_in_schema=False)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
