"""The peer a user would otherwise pick for Backbeat's loader: a Spark Structured Streaming job
as Streamify writes it — one query per topic, `from_json` with the topic's schema, Parquet
partitioned by hour. Runs inside the peer environment `spark_loader.py` makes (pyspark only,
no Backbeat), so everything it needs comes as arguments:

    python spark_job.py BOOTSTRAP OUT CHECKPOINTS SCHEMAS_JSON (--available-now | --trigger-s S)

SCHEMAS_JSON maps each topic to its Spark DDL schema and the fields that carry epoch
milliseconds (typed as timestamps, as Backbeat's raw types them). `--available-now` drains
what the topics hold and exits (the throughput run); `--trigger-s` keeps micro-batching until
killed (the latency run). Prints `started <epoch s>` once the queries run, so start-up can be
told apart.
"""

from __future__ import annotations

import argparse
import json
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

KAFKA_PACKAGES = (
    "org.apache.spark:spark-sql-kafka-0-10_2.13:4.0.0,"
    "org.apache.spark:spark-token-provider-kafka-0-10_2.13:4.0.0"
)
# Ivy fails on these otherwise; pyspark ships them (the finding, #20).
EXCLUDES = (
    "org.slf4j:slf4j-api,org.apache.hadoop:hadoop-client-runtime,"
    "org.apache.hadoop:hadoop-client-api"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bootstrap")
    parser.add_argument("out")
    parser.add_argument("checkpoints")
    parser.add_argument("schemas")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--available-now", action="store_true")
    mode.add_argument("--trigger-s", type=float)
    args = parser.parse_args()

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("streamify-style-loader")
        .config("spark.jars.packages", KAFKA_PACKAGES)
        .config("spark.jars.excludes", EXCLUDES)
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    queries = []
    for topic, schema in json.loads(args.schemas).items():
        events = (
            spark.readStream.format("kafka")
            .option("kafka.bootstrap.servers", args.bootstrap)
            .option("subscribe", topic)
            .option("startingOffsets", "earliest")
            .option("failOnDataLoss", "false")
            .load()
            .select(
                F.from_json(F.col("value").cast("string"), schema["ddl"]).alias("e"),
                F.col("timestamp").alias("_kafka_ts"),
            )
            .select("e.*", "_kafka_ts", F.current_timestamp().alias("_ingested_at"))
            .withColumns({c: F.timestamp_millis(c) for c in schema["epoch_ms"]})
            .withColumn("event_date", F.to_date("ts"))
            .withColumn("event_hour", F.hour("ts"))
        )
        writer = (
            events.writeStream.format("parquet")
            .option("path", f"{args.out}/{topic}")
            .option("checkpointLocation", f"{args.checkpoints}/{topic}")
            .partitionBy("event_date", "event_hour")
            .outputMode("append")
        )
        if args.available_now:
            writer = writer.trigger(availableNow=True)
        else:
            writer = writer.trigger(processingTime=f"{args.trigger_s} seconds")
        queries.append(writer.start())
    print(f"started {time.time():.3f}", flush=True)
    for query in queries:
        query.awaitTermination()
    spark.stop()


if __name__ == "__main__":
    main()
