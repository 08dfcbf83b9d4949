"""Durations as eventsim prints them: Java `float`, i.e. float32's shortest decimal."""

from __future__ import annotations

import struct

_F32 = struct.Struct("<f")


def as_float32(value: float) -> float:
    """The shortest decimal that reads back as the same float32 (210.337509... -> 210.33751)."""
    single = _F32.unpack(_F32.pack(value))[0]
    for digits in range(1, 10):
        candidate = float(f"{single:.{digits}g}")
        if _F32.unpack(_F32.pack(candidate))[0] == single:
            return candidate
    return float(single)
