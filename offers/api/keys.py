"""API keys: several may be valid at once (rotation), each kept plain or as its SHA-256.

Every presented key is hashed and compared with every stored digest in constant time, with
no early exit, so neither the answer time nor the order of the keys tells a caller how
close a guess came.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from pydantic import SecretStr

HASHED_PREFIX = "sha256:"


def key_digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class ApiKeys:
    def __init__(self, keys: Sequence[SecretStr]) -> None:
        digests = []
        for key in keys:
            value = key.get_secret_value()
            if value.startswith(HASHED_PREFIX):
                digests.append(bytes.fromhex(value.removeprefix(HASHED_PREFIX)))
            else:
                digests.append(key_digest(value))
        self._digests = tuple(digests)

    def allows(self, presented: str | None) -> bool:
        if not presented:
            return False
        digest = key_digest(presented)
        found = False
        for stored in self._digests:
            found |= hmac.compare_digest(digest, stored)
        return found
