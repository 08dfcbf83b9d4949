"""What the API refuses before it reads a request (#15): no key, a body too large, and a 422
that does not echo what was sent. None of these reach Redis, so none needs it running."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from backbeat.settings import get_settings, with_overrides
from backbeat.stack.private import free_port
from offers.api import create_app
from offers.api.errors import OutageLog

KEY = "limits-key"
EVENT_PATH = f"/v1/offers/{'a' * 24}/events"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = with_overrides(
        get_settings(),
        api={"keys": [KEY], "max_body_bytes": 1024},
        redis={"url": f"redis://127.0.0.1:{free_port()}/0"},  # nothing listens: never reached
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_the_key_is_checked_before_the_body(client: TestClient) -> None:
    huge = b"x" * 2_000_000
    response = client.post(EVENT_PATH, content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 401
    assert "X-API-Key" in response.json()["detail"]


def test_a_declared_body_over_the_limit_is_a_413_unread(client: TestClient) -> None:
    response = client.post(
        EVENT_PATH,
        content=b"x" * 2_000_000,
        headers={"X-API-Key": KEY, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "the body is over 1,024 bytes"}


def test_a_chunked_body_over_the_limit_is_a_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b'{"type": "click", "pad": "' + b"y" * 100

    response = client.post(
        EVENT_PATH, content=chunks(), headers={"X-API-Key": KEY, "content-type": "application/json"}
    )
    assert response.status_code == 413


def test_a_422_says_what_is_wrong_without_echoing_it(client: TestClient) -> None:
    sent = "z" * 600
    response = client.post(
        EVENT_PATH, json={"type": sent, "user_id": 7}, headers={"X-API-Key": KEY}
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "type"] and "impression" in error["msg"]
    assert sent not in response.text


def test_the_schema_lists_every_error_a_route_gives() -> None:
    schema = create_app(get_settings()).openapi()
    for path in ("/v1/users/{user_id}/offers", "/v1/users/{user_id}/recommendations"):
        assert {"200", "401", "422", "503"} <= set(schema["paths"][path]["get"]["responses"])
    posted = schema["paths"]["/v1/offers/{offer_id}/events"]["post"]["responses"]
    assert {"202", "401", "404", "413", "422", "503"} <= set(posted)


def test_a_redis_outage_logs_a_line_a_minute_not_a_line_a_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    outages = OutageLog(every_s=60, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="backbeat.api"):
        for second in range(0, 150):
            now[0] = float(second)
            outages.failed("/v1/users/7/offers: Connection refused")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 3  # at 0 s, 60 s and 120 s
    assert "(60 failed calls" in lines[1]
    assert json.dumps(lines)  # plain text
