"""The SQL macros a model may call, `{{ name(...) }}` in Jinja: the rules the vault's keys
follow, spelled once. They expand to BigQuery SQL before anything parses or translates it,
so DuckDB runs exactly what BigQuery would (warehouse_sql/README.md, *Keys, one
documented way*).

Each argument is a SQL expression (a column, or e.g. `UNIX_MILLIS(ts)`): a macro does not
guess types, so a time or a float is written in the form the key rule gives it.
"""

from __future__ import annotations

from typing import Final

#: The hash key of "none" (guests, failed logins, no location): every hub holds it once.
GHOST_KEY: Final = "REPEAT('0', 32)"

#: TO_HEX(MD5('')): the key of a missing value.
_EMPTY_MD5: Final = "'d41d8cd98f00b204e9800998ecf8427e'"

#: UTF-8 read as Latin-1: every character below U+0100 and, read as bytes, valid UTF-8
#: with at least one multi-byte sequence.
_LATIN1_UTF8 = (
    r"r'^(?:[\x00-\x7F]|[\xC2-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}"
    r"|[\xF0-\xF4][\x80-\xBF]{3})*$'"
)


def hash_key(*parts: str, ghost_if: str | None = None) -> str:
    """The lowercase hex MD5 of the parts' text joined by `|` (a missing part as ''); with
    `ghost_if`, the ghost key where that condition holds.

    A key of one part is spelled `IF(part IS NULL, MD5(''), MD5(part))`, not with COALESCE:
    the same value, but DuckDB then hashes each distinct value of a dictionary-encoded Parquet
    column once instead of every row (a user, session, page or client key over 10M page views:
    0.1-0.2 s instead of 1.1-1.7 s; COALESCE flattens the dictionary)."""
    if not parts:
        raise ValueError("hash_key needs at least one part")
    if len(parts) == 1:
        (part,) = parts
        key = f"IF({part} IS NULL, {_EMPTY_MD5}, TO_HEX(MD5(CAST({part} AS STRING))))"
    else:
        joined = ", '|', ".join(f"COALESCE(CAST({part} AS STRING), '')" for part in parts)
        key = f"TO_HEX(MD5(CONCAT({joined})))"
    return f"IF({ghost_if}, {GHOST_KEY}, {key})" if ghost_if else key


def ghost_key() -> str:
    return GHOST_KEY


def repair_mojibake(column: str) -> str:
    """One pass of eventsim's mojibake repair: a string that is UTF-8 decoded as Latin-1 is
    decoded again (eventsim's names are often broken twice: call it in two steps)."""
    return (
        f"IF(REGEXP_CONTAINS({column}, {_LATIN1_UTF8}) "
        f"AND REGEXP_CONTAINS({column}, r'[\\xC2-\\xF4]'), "
        f"SAFE_CONVERT_BYTES_TO_STRING(CODE_POINTS_TO_BYTES(TO_CODE_POINTS({column}))), "
        f"{column})"
    )


MACROS: Final = {
    "hash_key": hash_key,
    "ghost_key": ghost_key,
    "repair_mojibake": repair_mojibake,
}
