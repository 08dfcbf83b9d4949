"""The offer lookup API: what should this user see now?

    backbeat api                 # uvicorn, settings from BACKBEAT_API_* and BACKBEAT_REDIS_*
    GET  /v1/users/{user_id}/offers           active offers, best first, with reason and expiry
    GET  /v1/users/{user_id}/recommendations  ?k=1..100
    GET  /v1/users/{user_id}/session          live session features
    POST /v1/offers/{offer_id}/events         impression | click | accept | dismiss
    GET  /healthz                             Redis answers?   GET /metrics  Prometheus

Every /v1 call needs an `X-API-Key` (401 otherwise), checked before any body is read; a
body over `BACKBEAT_API_MAX_BODY_BYTES` is refused with 413 before it is read whole. A 422
says which field is wrong and why, without echoing what was sent. `/healthz` and `/metrics`
(probes and Prometheus) and the schema (`/docs`, `/openapi.json`) need no key: they hold no
user data; keep the port on a private network. A lookup's Redis read is given
`BACKBEAT_API_REDIS_TIMEOUT_MS`; past it, or when Redis is down, the answer is 503 — never a
hang. A burst beyond `BACKBEAT_API_REDIS_CONNECTIONS` reads in flight waits for a turn within
that same timeout rather than failing at once, on one Redis and on a Redis Cluster alike.
Errors are JSON `{"detail": ...}` without stack traces. Offer events go to the `offer_events`
topic (confirmed by Kafka before the 202), from where the loader lands them in raw for the
offer performance mart.

Laid out as FastAPI's larger applications are: the app and its lifespan (`app.py`), what a
route depends on (`dependencies.py`: the store reader, the event publisher, the API key),
one router per resource (`routers/`), the request and response bodies (`schemas.py`), the
ASGI middleware every request passes (`middleware.py`), error answers (`errors.py`). The
plain user lookups, most of the traffic, are answered before FastAPI's routing
(`lookups.py`) by the same answer functions the routes call (`answers.py`); both serialise
a response model once (`responses.py`).
"""

from __future__ import annotations

from offers.api.app import create_app

__all__ = ["create_app"]
