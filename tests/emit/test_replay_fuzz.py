"""`backbeat replay` on files nobody checked (#15): whatever a line holds, the replay goes on,
and each line is either sent (one or more records) or a dead letter naming its file and line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from backbeat.emit.runs import run_replay
from backbeat.kafka.dead_letter import DeadLetter
from backbeat.kafka.topics import EVENT_TOPICS
from tests.events.strategies import any_record, fuzzing

#: The old single-stream format's keys (Sparkify), each with a plausible or a wrong value.
LEGACY = st.fixed_dictionaries(
    {
        "ts": st.integers(0, 2**64) | st.just(1541106106796),
        "userId": st.sampled_from(["", "7", "x", "-1", "99999999999999999999"]),
        "sessionId": st.integers(-5, 2**63),
        "page": st.sampled_from(["NextSong", "Home", "Submit Upgrade", "Login", ""]),
        "auth": st.sampled_from(["Logged In", "Logged Out", "Guest"]),
        "method": st.just("PUT"),
        "status": st.sampled_from([200, 307, 404]),
        "level": st.sampled_from(["free", "paid"]),
        "itemInSession": st.integers(0, 10),
        "location": st.sampled_from(["Bakersfield, CA", "nowhere", ""]) | st.none(),
        "registration": st.floats(allow_nan=False) | st.none(),
        "artist": st.text(max_size=10) | st.none(),
        "song": st.text(max_size=10) | st.none(),
        "length": st.floats(allow_nan=False, allow_infinity=False) | st.none(),
    }
).map(lambda record: json.dumps(record).encode())


class RecordingSink:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.letters: list[DeadLetter] = []

    def write(self, topic: str, key: bytes | None, value: bytes) -> None:
        self.counts[topic] += 1

    def reject(self, dead: DeadLetter) -> None:
        self.letters.append(dead)

    def close(self) -> None:
        pass


def _one_line(raw: bytes) -> bytes:
    return raw.replace(b"\n", b" ").replace(b"\r", b" ")


LINES = st.one_of(
    any_record(EVENT_TOPICS).map(lambda record: _one_line(record[1])),
    LEGACY,
    st.binary(max_size=200).map(_one_line),
)


@fuzzing(150)
@given(st.lists(LINES, min_size=1, max_size=30), st.sampled_from([None, *EVENT_TOPICS]))
def test_every_line_is_sent_or_a_dead_letter_and_the_replay_goes_on(
    tmp_path: Path, lines: list[bytes], file_topic: str | None
) -> None:
    path = tmp_path / (file_topic or "mixed.json")
    path.write_bytes(b"\n".join(lines) + b"\n")
    sink = RecordingSink()
    stats = run_replay([path], sink)
    non_blank = [n for n, line in enumerate(lines, 1) if line.strip()]
    rejected = {letter.source_line for letter in sink.letters}
    assert stats.lines == len(non_blank)
    assert stats.rejected == len(sink.letters) == len(rejected)
    assert rejected <= set(non_blank)
    assert all(letter.source_file == str(path) and letter.error for letter in sink.letters)
    assert sum(sink.counts.values()) >= len(non_blank) - len(rejected)
