"""A second, private stack beside the default one: free ports and its own state directory.

Tests and benchmarks use it so they never touch a developer's running stack.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from backbeat.settings import Settings, with_overrides


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def private_stack_settings(base: Settings, state_dir: Path) -> Settings:
    """`base` with every local service on a free port and state under `state_dir`."""
    return with_overrides(
        base,
        kafka={"bootstrap_servers": f"127.0.0.1:{free_port()}"},
        redis={"url": f"redis://127.0.0.1:{free_port()}/0"},
        prefect={"api_url": f"http://127.0.0.1:{free_port()}/api"},
        stack={"state_dir": state_dir, "kafka_controller_port": free_port()},
    )


#: The settings a private stack changes, as (group, field): what a subprocess must be told.
_PRIVATE_FIELDS = (
    ("kafka", "bootstrap_servers"),
    ("redis", "url"),
    ("prefect", "api_url"),
    ("stack", "state_dir"),
    ("stack", "kafka_controller_port"),
    ("warehouse", "backend"),
    ("warehouse", "dir"),
    ("warehouse", "bigquery_project"),
    ("warehouse", "bigquery_endpoint"),
    ("warehouse", "bigquery_write_endpoint"),
    ("warehouse", "raw_dataset"),
    ("warehouse", "vault_dataset"),
    ("warehouse", "marts_dataset"),
    ("loader", "recovery_dir"),
    ("loader", "metrics_port"),
    ("loader", "snapshot_seconds"),
    ("loader", "batch_max_rows"),
    ("loader", "batch_max_seconds"),
    ("sessions", "recovery_dir"),
    ("sessions", "metrics_port"),
    ("sessions", "snapshot_seconds"),
    ("sessions", "gap_minutes"),
    ("sessions", "allowed_lateness_minutes"),
    ("sessions", "rules_file"),
    ("sessions", "holdout_share"),
    ("sessions", "holdout_tags"),
)


def settings_environment(settings: Settings) -> dict[str, str]:
    """The BACKBEAT_* variables that make a subprocess use the stack and warehouse of `settings`."""
    environment = {}
    for group_name, field in _PRIVATE_FIELDS:
        group = getattr(settings, group_name)
        value = getattr(group, field)
        if value is not None:  # unset optional settings stay unset
            text = json.dumps(value) if isinstance(value, list) else str(value)
            environment[type(group).env_name(field)] = text
    return environment
