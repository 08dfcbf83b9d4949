from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from backbeat.kafka.admin import admin_client
from backbeat.settings import Settings


@pytest.fixture
def tmp_topic(local_stack: Settings) -> Iterator[str]:
    """A topic of its own for one test (2 partitions), deleted afterwards."""
    from confluent_kafka.admin import NewTopic

    name = f"test-{uuid.uuid4().hex[:12]}"
    admin = admin_client(local_stack.kafka)
    admin.create_topics([NewTopic(name, 2, 1)])[name].result(timeout=30)
    yield name
    admin.delete_topics([name])[name].result(timeout=30)
