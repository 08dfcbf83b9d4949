"""The one way to assemble a simulator: model, catalogue, run parameters, and the optional
parts (`--taste`, users answering offers). `backbeat generate`, the demo, the benchmarks
and the tests all call `build_simulator`, so a new option is added here once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backbeat.simulator.catalogue import SongCatalogue, generated_catalogue, load_catalogue
from backbeat.simulator.config import SimulationConfig, load_config
from backbeat.simulator.default_model import CONFIG_PATH
from backbeat.simulator.engine import SimulationParams, Simulator
from backbeat.simulator.responses import OfferResponder
from backbeat.simulator.taste import TasteModel

DEFAULT_CATALOGUE_SIZE = 20_000


@dataclass(frozen=True)
class SimulatorOptions:
    params: SimulationParams
    #: eventsim's model: a loaded config, or the path of one (default: Backbeat's own).
    config: SimulationConfig | Path = CONFIG_PATH
    #: A real catalogue (eventsim's listen_counts.txt.gz or streamify's songs.csv) ...
    songs: Path | None = None
    #: ... or one generated with this many songs, from this seed (default: the run's).
    catalogue_size: int = DEFAULT_CATALOGUE_SIZE
    catalogue_seed: int | None = None
    #: Users with favourite genres whose sessions drift along similar songs.
    taste: bool = False
    #: Logged-in users are asked which offers they accept (backbeat.simulator.responses).
    responder: OfferResponder | None = None
    #: How long an accepted retention offer keeps a user from leaving.
    retention_s: int = 30 * 86400


def catalogue_of(options: SimulatorOptions) -> SongCatalogue:
    if options.songs is not None:
        return load_catalogue(options.songs)
    seed = options.params.seed if options.catalogue_seed is None else options.catalogue_seed
    return generated_catalogue(options.catalogue_size, seed)


def build_simulator(options: SimulatorOptions) -> Simulator:
    """The simulator `options` describe (raises ConfigError or ValueError for a bad config
    or catalogue file)."""
    config = options.config
    model = load_config(config) if isinstance(config, Path) else config
    catalogue = catalogue_of(options)
    return Simulator(
        model,
        catalogue,
        options.params,
        TasteModel(catalogue) if options.taste else None,
        options.responder,
        options.retention_s,
    )
