"""Simulated users asking the offer lookup API what they are shown, and answering it.

`ApiOfferResponder` is the simulator's `OfferResponder` over HTTP: for a user at a moment it
GETs `/v1/users/{id}/offers`, reports an `impression` for every offer not seen before and,
with the chance set per offer type (`BACKBEAT_RESPONSES_ACCEPT`), an `accept`. Those events
go through the API to the `offer_events` topic, as a real app's would. The API is only asked
in paced runs: the sessions dataflow must have seen a user's events to have offered anything.
"""

from __future__ import annotations

import logging
from collections import Counter

import httpx

from backbeat.settings import Settings
from backbeat.simulator.responses import AcceptancePolicy

log = logging.getLogger("backbeat.responses")


class OfferApiError(RuntimeError):
    """The offer lookup API cannot be used (down at the start, or the key is refused)."""


def responder_api_key(settings: Settings) -> str:
    """The key to call the API with: the responses setting, else the API's first plain key."""
    if settings.responses.api_key is not None:
        return settings.responses.api_key.get_secret_value()
    for key in settings.api.keys:
        value = key.get_secret_value()
        if not value.startswith("sha256:"):
            return value
    raise OfferApiError(
        "no API key to ask the offer API with: set BACKBEAT_RESPONSES_API_KEY "
        "(BACKBEAT_API_KEYS holds none in plain text)"
    )


class ApiOfferResponder:
    """Answers offers for simulated users through the offer lookup API.

    A user asks at most once per `lookup_interval_s` of simulated time; each offer is
    answered once (its id is remembered). An API that stops answering
    mid-run costs answers, not the run: failures are counted in `counts["errors"]` and
    logged once; a refused key (401) stops the run, since no later call can succeed.
    """

    def __init__(self, settings: Settings, client: httpx.Client | None = None) -> None:
        responses = settings.responses
        self._client = client or httpx.Client(
            base_url=responses.api_url,
            headers={"X-API-Key": responder_api_key(settings)},
            timeout=responses.timeout_ms / 1000,
        )
        self._policy = AcceptancePolicy(responses.accept, responses.seed)
        self._interval_ms = int(responses.lookup_interval_s * 1000)
        self._asked_at: dict[int, int] = {}
        self._answered: set[str] = set()
        self.counts: Counter[str] = Counter()

    def check(self) -> None:
        """Fail now, with the reason, if the API does not answer or refuses the key."""
        try:
            health = self._client.get("/healthz")
            probe = self._client.get("/v1/users/0/offers")
        except httpx.HTTPError as exc:
            raise OfferApiError(
                f"the offer API at {self._client.base_url} does not answer ({exc}); "
                "start it with `backbeat api`"
            ) from exc
        if health.status_code != 200:
            raise OfferApiError(f"the offer API is unhealthy: {health.status_code} {health.text}")
        self._refused(probe)

    def _refused(self, response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            raise OfferApiError(f"the offer API refused the key: {response.json()['detail']}")

    def _failed(self, what: str, detail: object) -> None:
        if not self.counts["errors"]:
            log.warning("offer API %s failed (%s); later failures are only counted", what, detail)
        self.counts["errors"] += 1

    def _report(self, offer_id: str, user_id: int, event_type: str) -> bool:
        try:
            response = self._client.post(
                f"/v1/offers/{offer_id}/events", json={"type": event_type, "user_id": user_id}
            )
        except httpx.HTTPError as exc:
            self._failed(event_type, exc)
            return False
        self._refused(response)
        if response.status_code != 202:
            self._failed(event_type, f"{response.status_code} {response.text}")
            return False
        self.counts[event_type] += 1
        return True

    def accepted(self, user_id: int, at_ms: int) -> list[str]:
        last = self._asked_at.get(user_id)
        if last is not None and at_ms - last < self._interval_ms:
            return []
        self._asked_at[user_id] = at_ms
        try:
            response = self._client.get(f"/v1/users/{user_id}/offers")
        except httpx.HTTPError as exc:
            self._failed("lookup", exc)
            return []
        self._refused(response)
        if response.status_code != 200:
            self._failed("lookup", f"{response.status_code} {response.text}")
            return []
        self.counts["lookups"] += 1
        accepted = []
        for offer in response.json()["offers"]:
            offer_id = offer["offer_id"]
            if offer_id in self._answered:
                continue
            self._answered.add(offer_id)
            if not self._report(offer_id, user_id, "impression"):
                continue
            if self._policy.accepts(offer["offer_type"]) and self._report(
                offer_id, user_id, "accept"
            ):
                accepted.append(offer["offer_type"])
        return accepted

    def close(self) -> None:
        self._client.close()
