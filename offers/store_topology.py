"""Where the offer store's keys live: one Redis, or the masters of a Redis Cluster.

Chosen once, from the client (`topology_of`). Plain commands need nothing from it: redis-py's
cluster client and pipelines route each key to its node. Only the recommender's Lua calls
(offers/model_script.py) do, since a script runs on one node: on a cluster its operations are
grouped by the node that holds each key, and each group is run on its node.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, TypeAlias

import msgspec
import redis
import redis.asyncio
from redis.cluster import RedisCluster
from redis.crc import key_slot

from offers.model_script import ModelWrite

#: The store's sync client: one Redis, or a Redis Cluster (BACKBEAT_REDIS_CLUSTER).
SyncClient: TypeAlias = redis.Redis | RedisCluster
#: The API's asyncio client, likewise.
AsyncClient: TypeAlias = redis.asyncio.Redis | redis.asyncio.RedisCluster

_encode = msgspec.json.encode


class OneRedis:
    """Every key on one server: the model's calls ride in the batch's pipeline."""

    def model_write(self) -> ModelWrite:
        return ModelWrite()

    def run(self, write: ModelWrite, pipe: Any, script: redis.commands.core.Script) -> None:
        write.queue(pipe, script)


class ClusterNodes:
    """Keys spread over a cluster's masters by slot: one call per node (or more, past
    `OPS_PER_CALL`), each sent to its node with the key names as an argument.

    The node of a key comes from the client's slot map. If the cluster moves a slot while a
    batch is written, a call fails on the node that no longer holds the key ("non local
    key") after applying the operations before it: the sessions dataflow then stops and,
    restarted, replays the batch (at least once, as after any crash; offers/README.md).
    """

    def __init__(self, client: RedisCluster) -> None:
        self._client = client

    def _node_of(self, key: str) -> Hashable:
        return self._client.nodes_manager.get_node_from_slot(key_slot(key.encode())).name

    def model_write(self) -> ModelWrite:
        return ModelWrite(self._node_of)

    def run(self, write: ModelWrite, pipe: Any, script: redis.commands.core.Script) -> None:
        for node_name, keys, ops in write.calls():
            node = self._client.nodes_manager.nodes_cache[str(node_name)]
            connection = self._client.get_redis_connection(node)
            script(keys=[], args=[ops, _encode(keys)], client=connection)


Topology: TypeAlias = OneRedis | ClusterNodes


def servers(client: SyncClient) -> list[redis.Redis]:
    """The Redis servers behind a client, each as a plain client: itself, or a cluster's
    masters (for what Redis answers per server: DBSIZE, INFO, KEYS)."""
    if isinstance(client, RedisCluster):
        cache = client.nodes_manager.nodes_cache.values()
        return [client.get_redis_connection(n) for n in cache if n.server_type == "primary"]
    return [client]


def topology_of(client: SyncClient) -> Topology:
    """The topology a client talks to."""
    return ClusterNodes(client) if isinstance(client, RedisCluster) else OneRedis()
