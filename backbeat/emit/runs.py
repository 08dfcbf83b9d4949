"""Driving events into a sink: a simulation, or a replay of eventsim files."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
from msgspec import UNSET

from backbeat.emit.pacing import Pacer
from backbeat.emit.sinks import EventSink
from backbeat.events.codec import EventDecodeError, encode
from backbeat.events.keys import kafka_key
from backbeat.events.schemas import EventRecord
from backbeat.events.sources import (
    EventFileReader,
    SourceLine,
    input_files,
    read_lines,
    topic_from_file_name,
)
from backbeat.kafka.dead_letter import DeadLetter
from backbeat.kafka.producer import RecordTooLarge
from backbeat.simulator.engine import Simulator

_PROGRESS_EVERY = 4096


@dataclass
class RunStats:
    """What a run wrote so far; `latest_ms` is the newest event time seen."""

    counts: Counter[str] = field(default_factory=Counter)
    latest_ms: int = 0
    rejected: int = 0
    #: Lines read (a replay).
    lines: int = 0
    #: True when the run was asked to stop before its end (what was written is flushed).
    stopped: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def records(self) -> int:
        return sum(n for topic, n in self.counts.items() if topic != "dead_letter")

    @property
    def page_views(self) -> int:
        return self.counts["page_view_events"]

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def rate(self) -> float:
        """Simulated events (page views) per second of wall time, eventsim's own measure."""
        return self.page_views / max(self.elapsed_s, 1e-9)


Progress = Callable[[RunStats], None]


def run_simulation(
    simulator: Simulator,
    sink: EventSink,
    pacer: Pacer,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> RunStats:
    """Write every simulated event to `sink`, paced by `pacer`; closes the sink.

    Setting `stop` ends the run between two events (a wait for the next one included),
    so what was written and what `stats` counts are the same."""
    stats = RunStats(counts=sink.counts)
    paced = pacer.speed is not None
    write, wait_for = sink.write, pacer.wait_for
    stop = stop or threading.Event()
    written = 0
    try:
        for event in simulator.events():
            record = event.record
            if paced:
                wait_for(record.ts)
            if stop.is_set():
                stats.stopped = True
                break
            write(event.topic, event.key, encode(record))
            written += 1
            if written % _PROGRESS_EVERY == 0:
                stats.latest_ms = record.ts
                if progress:
                    progress(stats)
        if written:
            stats.latest_ms = record.ts
    finally:
        sink.close()
    if progress:
        progress(stats)
    return stats


def _shifted(record: EventRecord, offset_ms: int) -> EventRecord:
    changes: dict[str, int] = {"ts": record.ts + offset_ms}
    registration = getattr(record, "registration", UNSET)
    if registration is not UNSET:
        changes["registration"] = registration + offset_ms
    return msgspec.structs.replace(record, **changes)


def _letter(line: SourceLine, error: str, topic: str | None) -> DeadLetter:
    return DeadLetter(
        original=line.value,
        error=error,
        stage="replay",
        source_topic=topic,
        source_file=str(line.path),
        source_line=line.line_no,
    )


def run_replay(
    paths: Sequence[Path],
    sink: EventSink,
    retime_to_ms: int | None = None,
    speed: float | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> RunStats:
    """Send eventsim output (either format) to `sink`; bad lines become dead letters.

    With `retime_to_ms`, every time is shifted so the first event lands at that time.
    Setting `stop` ends the replay between two lines.
    """
    stop = stop or threading.Event()
    files = input_files(paths)
    reader = EventFileReader()
    stats = RunStats(counts=sink.counts)
    offset_ms: int | None = None
    pacer: Pacer | None = None
    try:
        for path in files:
            if stats.stopped:
                break
            file_topic = topic_from_file_name(path)
            for line in read_lines(path):
                if stop.is_set():
                    stats.stopped = True
                    break
                stats.lines += 1
                try:
                    records = reader.records(line, file_topic)
                except EventDecodeError as exc:
                    stats.rejected += 1
                    sink.reject(_letter(line, str(exc), file_topic))
                    continue
                for topic, record in records:
                    if offset_ms is None:
                        first = record.ts
                        offset_ms = 0 if retime_to_ms is None else retime_to_ms - first
                        pacer = Pacer(
                            speed,
                            anchor_ms=first + offset_ms,
                            sleep=lambda s: stop.wait(s) and None,
                        )
                    if offset_ms:
                        record = _shifted(record, offset_ms)
                    ts = record.ts
                    if pacer is not None and speed is not None:
                        pacer.wait_for(ts)
                    try:
                        sink.write(topic, kafka_key(record), encode(record))
                    except RecordTooLarge as exc:
                        stats.rejected += 1
                        sink.reject(_letter(line, f"{line.where}: {exc}", topic))
                        continue
                    stats.latest_ms = max(stats.latest_ms, ts)
                if progress and stats.lines % _PROGRESS_EVERY == 0:
                    progress(stats)
    finally:
        sink.close()
    if progress:
        progress(stats)
    return stats
