"""Run in the Feast environment by feast_api.py: a Feast repository over the benchmark's
Redis, with one feature view holding each user's two offers, written to the online store.

    python feast_store.py <repo dir> <redis host:port> <offers.jsonl>

Each line of offers.jsonl is one user's row: `user_id` and the `offer_<slot>_<field>` values.
Prints the feature references a request names, as JSON.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
from feast.types import Int64, String

FIELDS = {
    "offer_id": String,
    "offer_type": String,
    "rule_id": String,
    "reason": String,
    "payload": String,
    "priority": Int64,
    "decided_at_ms": Int64,
    "expires_at_ms": Int64,
}


def main() -> None:
    repo, redis_address, offers = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "feature_store.yaml").write_text(
        "project: backbeat_bench\n"
        "registry: data/registry.db\n"
        "provider: local\n"
        "online_store:\n"
        "  type: redis\n"
        f'  connection_string: "{redis_address}"\n'
        "offline_store:\n"
        "  type: file\n"
        "entity_key_serialization_version: 3\n"
    )
    rows = pd.read_json(offers, lines=True)
    rows["event_timestamp"] = datetime.now(UTC)
    source_file = repo / "data" / "offers.parquet"
    source_file.parent.mkdir(exist_ok=True)
    rows.to_parquet(source_file)

    user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64)
    view = FeatureView(
        name="user_offers",
        entities=[user],
        ttl=timedelta(days=1),
        schema=[
            Field(name=f"offer_{slot}_{name}", dtype=dtype)
            for slot in (1, 2)
            for name, dtype in FIELDS.items()
        ],
        source=FileSource(path=str(source_file), timestamp_field="event_timestamp"),
        online=True,
    )
    store = FeatureStore(repo_path=str(repo))
    store.apply([user, view])
    store.write_to_online_store("user_offers", rows)
    print(json.dumps([f"user_offers:{field.name}" for field in view.features]))


if __name__ == "__main__":
    main()
