"""The root settings object: one field per area, each read from its own env prefix."""

from __future__ import annotations

from pydantic import BaseModel, Field

from backbeat.settings.api import ApiSettings
from backbeat.settings.dashboard import DashboardSettings
from backbeat.settings.events import EventsSettings
from backbeat.settings.kafka import KafkaSettings
from backbeat.settings.loader import LoaderSettings
from backbeat.settings.prefect import PrefectSettings
from backbeat.settings.quality import QualitySettings
from backbeat.settings.redis import RedisSettings
from backbeat.settings.responses import ResponsesSettings
from backbeat.settings.sessions import SessionsSettings
from backbeat.settings.stack import StackSettings
from backbeat.settings.warehouse import WarehouseSettings


class Settings(BaseModel):
    """All of Backbeat's configuration. Build with `get_settings()`, not directly."""

    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    prefect: PrefectSettings = Field(default_factory=PrefectSettings)
    stack: StackSettings = Field(default_factory=StackSettings)
    warehouse: WarehouseSettings = Field(default_factory=WarehouseSettings)
    events: EventsSettings = Field(default_factory=EventsSettings)
    loader: LoaderSettings = Field(default_factory=LoaderSettings)
    sessions: SessionsSettings = Field(default_factory=SessionsSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    responses: ResponsesSettings = Field(default_factory=ResponsesSettings)
    quality: QualitySettings = Field(default_factory=QualitySettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
