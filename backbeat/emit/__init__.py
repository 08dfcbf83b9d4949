"""Getting events out: sinks (files, stdout, Kafka), pacing against the wall clock, and the
runs that drive them (`backbeat generate`, `backbeat replay`)."""
