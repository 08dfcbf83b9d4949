"""Simulated users answering offers (`backbeat generate --respond-to-offers`)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from backbeat.settings.base import SettingsGroup, settings_config


class ResponsesSettings(SettingsGroup):
    """How simulated users answer the offers the lookup API shows them: the loop closed in
    simulation, so the offer performance mart has an uplift to measure."""

    group = "responses"
    model_config = settings_config(group)

    api_url: str = Field(
        default="http://127.0.0.1:8000", description="The offer lookup API the users ask."
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="X-API-Key for that API; unset: the first plain (unhashed) key of "
        "BACKBEAT_API_KEYS.",
    )
    accept: dict[str, float] = Field(
        default_factory=lambda: {
            "premium_trial": 0.5,
            "retention_discount": 0.5,
            "apology_credit": 0.3,
            "artist_spotlight": 0.2,
        },
        description="Chance that a user shown an offer of each type accepts it (JSON "
        "object); other types are never accepted. Accepting a premium trial takes the user "
        "to Submit Upgrade; a retention discount keeps them from downgrading or cancelling.",
    )
    retention_days: float = Field(
        default=30.0,
        ge=0,
        description="How long (simulated days) a user who accepted a retention discount "
        "stays off Downgrade and Cancel.",
    )
    lookup_interval_s: float = Field(
        default=300.0,
        ge=0,
        description="A user asks the API at most once per this many simulated seconds (an "
        "app checking for offers now and then, not on every page).",
    )
    seed: int = Field(default=0, description="Seed of the users' answers (apart from the run's).")
    timeout_ms: int = Field(
        default=2000, ge=1, description="Longest wait for one API call; past it, no answer."
    )

    @field_validator("accept")
    @classmethod
    def _probabilities(cls, accept: dict[str, float]) -> dict[str, float]:
        for offer_type, p in accept.items():
            if not 0 <= p <= 1:
                raise ValueError(
                    f"the chance to accept {offer_type!r} must be in [0, 1], got {p!r}"
                )
        return accept
