from __future__ import annotations

import json
from pathlib import Path

import pytest

from backbeat.simulator.config import ConfigError, load_config
from backbeat.simulator.default_model import CONFIG_PATH, render
from backbeat.simulator.markov import SessionModel


@pytest.mark.parametrize(
    ("name", "transitions", "pages"),
    [
        ("kafka-fork_example-config.json", 198, 17),
        ("interana_example-config.json", 196, 17),
        ("alt-example-config.json", 196, 17),
        ("interana_Accordion-config.json", 265, 22),
    ],
)
def test_eventsims_own_configs_load_unchanged(
    eventsim_real: Path, name: str, transitions: int, pages: int
) -> None:
    config = load_config(eventsim_real / "reference" / "configs" / name)
    model = SessionModel(config)
    assert len(config.transitions) == transitions
    assert len({state.page for state in model.states}) == pages
    assert config.churned_state == "Cancelled"


def test_backbeats_default_model_is_the_committed_file() -> None:
    assert CONFIG_PATH.read_text() == render(), "run: python -m backbeat.simulator.default_model"
    model = SessionModel(load_config(CONFIG_PATH))
    assert len({state.page for state in model.states}) == 22


def _write(tmp_path: Path, config: dict[str, object]) -> Path:
    path = tmp_path / "bad-config.json"
    path.write_text(json.dumps(config, indent=1))
    return path


def _example(eventsim_real: Path) -> dict[str, object]:
    return json.loads(
        (eventsim_real / "reference" / "configs" / "kafka-fork_example-config.json").read_text()
    )


def test_probabilities_over_one_name_the_file_line_and_state(
    eventsim_real: Path, tmp_path: Path
) -> None:
    config = _example(eventsim_real)
    transitions = config["transitions"]
    assert isinstance(transitions, list)
    assert transitions[3]["p"] == 0.1
    transitions[3]["p"] = 0.9  # About [Guest/free] -> Register: the row now sums to 0.501 + 0.8
    path = _write(tmp_path, config)
    with pytest.raises(ConfigError) as error:
        SessionModel(load_config(path))
    message = str(error.value)
    assert message.startswith(f"{path}:")
    assert "About [Guest/free] GET 200 sum to 1.301, more than 1" in message
    # The line is where that source's first transition starts in the file.
    line = int(message.split(":")[1])
    entry_start = path.read_text().splitlines()[line - 1]
    assert entry_start.strip() == "{"
    assert '"page": "About"' in path.read_text().splitlines()[line + 1]


def test_unknown_new_session_state_is_an_error(eventsim_real: Path, tmp_path: Path) -> None:
    config = _example(eventsim_real)
    sessions = config["new-session"]
    assert isinstance(sessions, list)
    sessions[0]["page"] = "Podcasts"
    with pytest.raises(
        ConfigError, match=r"new-session state Podcasts \[Guest/free\].*unknown state"
    ):
        SessionModel(load_config(_write(tmp_path, config)))


def test_bad_json_and_bad_values_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n "alpha": 90.0,\n "beta": ,\n}')
    with pytest.raises(ConfigError, match=rf"^{path}:3: not valid JSON"):
        load_config(path)
    path.write_text('{\n "alpha": "fast"\n}')
    with pytest.raises(ConfigError, match=rf"^{path}:2: `alpha` must be a number"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.json")


def test_transition_probability_out_of_range(eventsim_real: Path, tmp_path: Path) -> None:
    config = _example(eventsim_real)
    config["transitions"][0]["p"] = -0.2  # type: ignore[index]
    with pytest.raises(ConfigError, match=r"probability must be in \[0, 1\], got -0.2"):
        load_config(_write(tmp_path, config))
