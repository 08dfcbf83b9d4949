"""The loader's rows as its recovery snapshots hold them."""

from __future__ import annotations

import pickle

from backbeat.warehouse.rows import RawRow

#: A RawRow pickled by the loader before RawRow stopped being a frozen dataclass (be81a49):
#: an open micro-batch in a recovery snapshot taken then must resume after an upgrade.
FROZEN_ROW_PICKLE = (
    b"\x80\x04\x95]\x00\x00\x00\x00\x00\x00\x00\x8c\x17backbeat.warehouse.rows\x94\x8c\x06"
    b"RawRow\x94\x93\x94)\x81\x94]\x94(\x8c\rlisten_events\x94K\x03K\x11\x8a\x06\x00h\xe5\xcf"
    b'\x8b\x01\x8a\x06\xffg\xe5\xcf\x8b\x01C\x08{"ts":1}\x94eb.'
)
ROW = RawRow("listen_events", 3, 17, 1_700_000_000_000, 1_699_999_999_999, b'{"ts":1}')


def test_a_row_snapshotted_by_the_frozen_row_loads() -> None:
    assert pickle.loads(FROZEN_ROW_PICKLE) == ROW


def test_a_row_is_pickled_as_the_frozen_row_was() -> None:
    """Byte for byte: a snapshot taken now also loads into the loader before the change."""
    assert pickle.dumps(ROW, protocol=4) == FROZEN_ROW_PICKLE
    assert pickle.loads(pickle.dumps(ROW)) == ROW
