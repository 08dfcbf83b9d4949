"""What a consumer does when the records it must read next are no longer in Kafka.

A dataflow down longer than a topic's retention resumes from an offset Kafka has deleted (or,
after a topic was deleted and made again, from one beyond its end). Kafka's clients then jump
to the end of the log by default (`auto.offset.reset`), which skips the expired records *and
everything still retained*, silently. Backbeat's sources set `auto.offset.reset=error` and ask
this module instead: by default the dataflow stops and names the topic, the partition and the
records lost, as Spark's `failOnDataLoss` does; an operator who accepts the loss sets
`BACKBEAT_KAFKA_FAIL_ON_DATA_LOSS=false`, and the source then resumes at the oldest record Kafka
still holds, counting what it skipped (`backbeat_<dataflow>_kafka_records_lost_total`).
"""

from __future__ import annotations

from dataclasses import dataclass


class DataLossError(RuntimeError):
    """Records a dataflow must read are gone from Kafka; the message says which."""


@dataclass(frozen=True)
class RetentionGap:
    """Offsets `first`..`resume_at - 1` of a partition that Kafka no longer holds."""

    topic: str
    partition: int
    first: int
    #: Where reading can go on: the oldest offset Kafka still holds.
    resume_at: int
    #: True when `first` lies beyond the end of the log (the topic was made again or truncated).
    ahead: bool = False

    @property
    def lost(self) -> int | None:
        """Records skipped by resuming at `resume_at` (None: not knowable, the log restarted)."""
        return None if self.ahead else self.resume_at - self.first

    def describe(self, dataflow: str) -> str:
        where = f"{self.topic} partition {self.partition}"
        if self.ahead:
            what = (
                f"the {dataflow} dataflow must read {where} from offset {self.first:,}, beyond "
                f"the end of the log (was the topic deleted and created again?): the records "
                f"it held from offset {self.first:,} on are gone"
            )
        else:
            what = (
                f"the {dataflow} dataflow must read {where} from offset {self.first:,}, but "
                f"Kafka holds it only from offset {self.resume_at:,} (retention deleted the "
                f"rest): {self.lost:,} records (offsets {self.first:,}..{self.resume_at - 1:,}) "
                "are lost"
            )
        return (
            f"{what}. It stops rather than skip them silently. To accept the loss and go on "
            f"from offset {self.resume_at:,}: BACKBEAT_KAFKA_FAIL_ON_DATA_LOSS=false (the "
            f"skipped records are counted in backbeat_{dataflow}_kafka_records_lost_total); "
            "to keep them, load them from a copy first (backbeat replay FILES)"
        )


def retention_gap(
    topic: str, partition: int, next_offset: int, low: int, high: int
) -> RetentionGap | None:
    """The gap a consumer about to read `next_offset` would skip, given Kafka's (low, high)
    watermarks for the partition; None when `next_offset` is still readable (the end of the
    log, `high`, is: the next record produced gets it)."""
    if next_offset < 0:  # a logical offset (the beginning): nothing can be skipped
        return None
    if next_offset < low:
        return RetentionGap(topic, partition, next_offset, low)
    if next_offset > high:
        return RetentionGap(topic, partition, next_offset, low, ahead=True)
    return None
