"""`backbeat generate` and `backbeat replay` as a person runs them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from confluent_kafka import Consumer

from backbeat.kafka.dead_letter import parse_headers
from backbeat.kafka.topics import EVENT_TOPICS
from backbeat.settings import Settings
from backbeat.settings.environment import settings_environment
from tests.cli.conftest import Run


def _drain(settings: Settings, topics: list[str], expected: int, idle_s: float = 5.0) -> list:
    consumer = Consumer(
        settings.kafka.client_config(
            **{
                "group.id": f"test-{uuid.uuid4().hex[:8]}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
    )
    consumer.subscribe(topics)
    messages, idle = [], 0.0
    while idle < idle_s and len(messages) <= expected:
        message = consumer.poll(0.5)
        if message is None:
            idle += 0.5
            continue
        assert message.error() is None, message.error()
        messages.append(message)
        idle = 0.0
    consumer.close()
    return messages


def test_generate_to_a_directory_writes_eventsims_four_files(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli(
        "generate",
        "-n",
        "50",
        "--start-time",
        "2024-01-01T00:00:00",
        "--end-time",
        "2024-01-03T00:00:00",
        "-r",
        "3",
        "-o",
        str(tmp_path / "out"),
    )
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == sorted(EVENT_TOPICS)
    views = (tmp_path / "out" / "page_view_events").read_text().splitlines()
    assert views and all(json.loads(line)["ts"] >= 1704067200000 for line in views)
    assert f"{len(views):,}" in result.stderr  # the summary counts what was written


def test_generate_to_stdout(run_cli: Run) -> None:
    result = run_cli("generate", "-n", "5", "--from", "1", "-r", "1", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert all(line.startswith("{") for line in result.stdout.splitlines())


def test_generate_with_a_bad_config_is_one_line(run_cli: Run, tmp_path: Path) -> None:
    bad = tmp_path / "config.json"
    bad.write_text('{"alpha": -1}')
    result = run_cli("generate", "-c", str(bad), "-o", "-")
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: {bad}:1: `alpha` must be positive"


def test_responding_to_offers_needs_a_paced_run_and_an_api(run_cli: Run) -> None:
    unpaced = run_cli("generate", "-n", "5", "--respond-to-offers")
    assert unpaced.returncode == 1
    assert "--respond-to-offers needs a paced run into Kafka" in unpaced.stderr
    # Paced, but nothing listens where the API should be: one line, before any event.
    no_api = run_cli(
        "generate", "-n", "5", "--speed", "60", "--respond-to-offers",
        env={"BACKBEAT_RESPONSES_API_URL": "http://127.0.0.1:9", "BACKBEAT_API_KEYS": '["k"]'},
    )  # fmt: skip
    assert no_api.returncode == 1
    assert "the offer API at http://127.0.0.1:9 does not answer" in no_api.stderr
    assert "start it with `backbeat api`" in no_api.stderr
    no_key = run_cli(
        "generate", "-n", "5", "--speed", "60", "--respond-to-offers",
        env={"BACKBEAT_API_KEYS": '["sha256:' + "a" * 64 + '"]'},
    )  # fmt: skip
    assert no_key.returncode == 1
    assert "set BACKBEAT_RESPONSES_API_KEY" in no_key.stderr


def test_generate_into_kafka_keyed_by_user(local_stack: Settings, run_cli: Run) -> None:
    env = settings_environment(local_stack)
    result = run_cli(
        "generate",
        "-n",
        "30",
        "--start-time",
        "2024-03-01T00:00:00",
        "--end-time",
        "2024-03-02T00:00:00",
        "-r",
        "9",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    written = int(result.stderr.split("page_view_events")[1].split("│")[1].strip().replace(",", ""))
    messages = _drain(local_stack, ["page_view_events"], written)
    march = [m for m in messages if json.loads(m.value())["ts"] < 1709337600000]
    assert len(march) == written
    for message in march:
        record = json.loads(message.value())
        expected_key = (
            str(record["userId"]) if "userId" in record else f"session-{record['sessionId']}"
        )
        assert message.key().decode() == expected_key


def test_replay_real_samples_and_dead_letter_bad_lines(
    local_stack: Settings, run_cli: Run, eventsim_real: Path, tmp_path: Path
) -> None:
    mixed = tmp_path / "mixed.json"
    good = (
        (eventsim_real / "kafka_fork_zipcodecore" / "output" / "auth_events")
        .read_text()
        .splitlines()
    )
    mixed.write_text(
        "\n".join([good[0], "{broken json", good[1], '{"ts": "soon", "sessionId": 1}']) + "\n"
    )
    env = settings_environment(local_stack)
    result = run_cli(
        "replay",
        str(eventsim_real / "kafka_fork_zipcodecore" / "output"),
        str(eventsim_real / "sparkify_dend_log_data"),
        str(mixed),
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "2 lines were rejected" in result.stderr

    dead = _drain(local_stack, ["dead_letter"], 2)
    from_this_run = sorted(
        (m for m in dead if parse_headers(m.headers()).get("bb.source.file") == str(mixed)),
        key=lambda m: int(parse_headers(m.headers())["bb.source.line"]),
    )
    assert [parse_headers(m.headers())["bb.source.line"] for m in from_this_run] == ["2", "4"]
    assert [m.value() for m in from_this_run] == [
        b"{broken json",
        b'{"ts": "soon", "sessionId": 1}',
    ]
    reasons = [parse_headers(m.headers())["bb.error"] for m in from_this_run]
    assert "not JSON" in reasons[0] and "Expected `int`, got `str`" in reasons[1]
