"""Property tests of validation and the writers behind it, with no servers: whatever bytes
arrive, decoding either gives a record every backend can store, or says why not."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backbeat.events.codec import EventDecodeError, RecordDecoder, canonical, decode
from backbeat.kafka.topics import LOADED_TOPICS
from backbeat.warehouse.bigquery.proto_rows import event_row_bytes, table_proto
from backbeat.warehouse.duckdb.raw_files import RawParquetWriter
from backbeat.warehouse.rows import RawRow
from tests.events.strategies import any_record, fuzzing


@fuzzing(400)
@given(any_record(LOADED_TOPICS))
def test_decoding_never_raises_anything_but_a_reason(record: tuple[str, bytes]) -> None:
    topic, value = record
    try:
        event = decode(topic, value)
    except EventDecodeError as exc:
        assert str(exc) and str(exc).isprintable()
        return
    assert decode(topic, canonical(event)) == event  # what is stored means the same


@fuzzing(300)
@given(any_record(LOADED_TOPICS), st.data())
def test_the_canonical_shortcut_never_lets_a_repeated_key_through(
    record: tuple[str, bytes], data: st.DataObject
) -> None:
    """Records that start with their canonical bytes skip the key count: white space after
    them is still accepted, and a key repeated anywhere is still refused."""
    topic, value = record
    try:
        event, stored = RecordDecoder().decode_canonical(topic, value)
    except EventDecodeError:
        return
    assert stored == canonical(event)
    padding = data.draw(st.text(alphabet=" \t\r\n", max_size=3)).encode()
    assert RecordDecoder().decode_canonical(topic, stored + padding) == (event, stored)
    pairs = stored[1:-1].split(b',"')  # canonical: no white space between tokens
    repeated = pairs[data.draw(st.integers(0, len(pairs) - 1))].removeprefix(b'"')
    at = data.draw(st.sampled_from(["first", "last"]))
    twice = (
        b'{"' + repeated + b"," + stored[1:]
        if at == "first"
        else stored[:-1] + b',"' + repeated + b"}"
    )
    with pytest.raises(EventDecodeError, match="more than once"):
        RecordDecoder().decode_canonical(topic, twice)


@fuzzing(150)
@given(st.lists(any_record(LOADED_TOPICS), min_size=1, max_size=20))
def test_every_accepted_record_is_stored_by_both_writers(
    tmp_path: Path, records: list[tuple[str, bytes]]
) -> None:
    decoder = RecordDecoder()
    rows = []
    for offset, (topic, value) in enumerate(records):
        try:
            event = decoder.decode(topic, value)
        except EventDecodeError:
            continue
        rows.append(RawRow(topic, 0, offset, -1, event.ts, canonical(event)))  # type: ignore[union-attr]
    for row in rows:  # BigQuery's rows: serialized without error, the event time kept
        message = table_proto(row.topic).message_class()
        message.ParseFromString(event_row_bytes(row, ingested_ms=0))
        assert message.ts == row.event_ms * 1000
    folder = tmp_path / f"w{len(list(tmp_path.iterdir()))}"
    writer = RawParquetWriter(folder)
    assert writer.write(rows).written == len(rows)
    writer.close()
    for row in rows:
        stored = duckdb.sql(
            "SELECT epoch_ms(ts) FROM read_parquet($files) WHERE _offset = $offset",
            params={"files": f"{folder}/raw/{row.topic}/*/*.parquet", "offset": row.offset},
        ).fetchall()
        assert stored == [(row.event_ms,)]
