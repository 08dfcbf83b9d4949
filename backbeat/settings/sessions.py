"""The real-time side: sessions, offers and recommendations (`backbeat sessions`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from backbeat.settings.base import SettingsGroup, settings_config

#: The rules Backbeat ships (beside the offers package, in a checkout and in the wheel).
SHIPPED_RULES = Path(__file__).resolve().parents[2] / "offers" / "rules.yaml"


class SessionsSettings(SettingsGroup):
    """`backbeat sessions`: session windows, the offer rules and the Redis store it feeds."""

    group = "sessions"
    model_config = settings_config(group)

    gap_minutes: float = Field(
        default=30.0,
        gt=0,
        description="A session ends after this much event-time inactivity (eventsim's "
        "session-gap is 30 minutes).",
    )
    allowed_lateness_minutes: float = Field(
        default=10.0,
        ge=0,
        description="Events up to this much older than a user's newest event still update "
        "their sessions; older ones are counted and logged as too late, never applied.",
    )
    rules_file: Path | None = Field(
        default=None,
        description="The offer rules (YAML); unset: the shipped `offers/rules.yaml`. Re-read "
        "when it changes; a bad file is reported and the rules in force stay.",
    )
    holdout_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of users (by a hash of the user id) who get no offers but are "
        "logged as 'would have received', to measure uplift.",
    )
    holdout_tags: list[str] = Field(
        default_factory=list,
        description="eventsim `tag` values whose users are in the holdout too (JSON list, "
        'e.g. ["control"]).',
    )
    recommendations_window: int = Field(
        default=5,
        ge=1,
        le=50,
        description="A play counts as played together with this many plays before it in "
        "the session (item-to-item neighbours).",
    )
    recommendations_judged_share: float = Field(
        default=0.02,
        ge=0,
        le=1,
        description="Share of plays judged online: was the song among the 10 the recommender "
        "and the popularity baseline would have served just before it? Feeds the quality "
        "metric and the choice between the two; each judged play costs two Redis round trips "
        "and two rankings (at 10% the dataflow runs about half as fast as at 0).",
    )
    neighbours_kept: int = Field(
        default=50, ge=1, description="Neighbours kept per song in Redis (top by score)."
    )
    decay_half_life_days: float = Field(
        default=14.0,
        ge=7,
        description="Co-play and popularity counts lose half their weight in this many days. "
        "At least 7: a play weighs 2^(days since 2024 / half-life) (forward decay, nothing "
        "stored is rewritten), and with a shorter half-life the sums overflow a float before "
        "2042 (1 day overflowed in 2026); 14 days lasts until about 2061.",
    )
    user_ttl_hours: float = Field(
        default=48.0,
        gt=0,
        description="Per-user Redis keys expire this long after the user's last event.",
    )
    recovery_dir: Path = Field(
        default=Path(".backbeat/recovery/sessions"),
        description="Bytewax recovery partitions (open sessions, cooldowns and Kafka offsets).",
    )
    snapshot_seconds: int = Field(
        default=5, ge=1, description="How often recovery state is snapshotted, whole seconds."
    )
    workers: int = Field(default=1, ge=1, description="Bytewax workers (-w).")
    metrics_port: int = Field(
        default=9474, ge=0, le=65535, description="Prometheus /metrics port on 127.0.0.1 (0: off)."
    )

    @property
    def rules_path(self) -> Path:
        """The rules file in force: the configured one, or the shipped rules."""
        return self.rules_file or SHIPPED_RULES
