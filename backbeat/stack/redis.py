"""Redis from Debian's `redis-server`, in memory only (losing it loses no history)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import redis

from backbeat.settings.redis import RedisSettings
from backbeat.stack.prerequisites import require_program
from backbeat.stack.service import LocalService, Progress, base_environment


class RedisService(LocalService):
    name = "redis"
    marker = "redis-server"

    @property
    def host(self) -> str:
        return self.settings.redis.url.host or "127.0.0.1"

    @property
    def port(self) -> int:
        return self.settings.redis.url.port or 6379

    @property
    def setting(self) -> str:
        return RedisSettings.env_name("url")

    def check_programs(self) -> None:
        self._server = require_program(
            "redis-server", "Redis", "install it (Debian: apt-get install redis-server)"
        )

    def prepare(self, progress: Progress) -> None:
        # A config file, not argv, so a password never shows in `ps`.
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "redis.conf"
        lines = [
            f"bind {self.host}",
            f"port {self.port}",
            "protected-mode yes",
            'save ""',
            "appendonly no",
            f"dir {self.data_dir}",
        ]
        if self.settings.redis.password:
            lines.append(f"requirepass {self.settings.redis.password.get_secret_value()}")
        config.touch(mode=0o600)
        config.write_text("\n".join(lines) + "\n")

    def command(self) -> tuple[Sequence[str], Mapping[str, str]]:
        return [str(self._server), str(self.data_dir / "redis.conf")], base_environment()

    def is_ready(self) -> bool:
        try:
            with redis.Redis.from_url(**self.settings.redis.client_options(1.0)) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False
