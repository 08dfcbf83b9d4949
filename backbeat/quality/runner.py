"""A whole scan as `backbeat quality` runs it; the `quality-scan` flow runs the same steps as
tasks (flows/quality_scan.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from backbeat.quality.contracts import QUALITY_LAYERS, Contract, complete, load_contracts
from backbeat.quality.scan import QualityScan, run_scan
from backbeat.settings import Settings
from backbeat.warehouse import WarehouseBackend, open_backend

if TYPE_CHECKING:
    from backbeat.warehouse.backend import QualityTarget

#: `built_until` before the first build: nothing of raw is expected in the marts yet.
NEVER_BUILT = "1970-01-01 00:00:00+00"


def scan_variables(settings: Settings, backend: WarehouseBackend) -> dict[str, Any]:
    """The `${var.*}` values of the contracts: quality settings and the last build."""
    last = backend.model_store().last_build()
    until, load_ts = (moment.isoformat(sep=" ") for moment in last) if last else (NEVER_BUILT,) * 2
    return {
        "raw_freshness_minutes": settings.quality.raw_freshness_minutes,
        "built_until": until,
        # Builds go on while a scan runs: mart rows of later builds are left out by it.
        "built_load_ts": load_ts,
    }


def resolve_layers(layer: str) -> tuple[str, ...]:
    """`all` or one of QUALITY_LAYERS, as the layers to scan."""
    if layer == "all":
        return QUALITY_LAYERS
    if layer not in QUALITY_LAYERS:
        raise ValueError(f"no layer {layer!r}: choose all, {', '.join(QUALITY_LAYERS)}")
    return (layer,)


def scan_warehouse(
    settings: Settings,
    layers: Sequence[str] = QUALITY_LAYERS,
    in_flow: bool = False,
    progress: Callable[[str], None] | None = None,
    contracts: Sequence[Contract] | None = None,
    target: QualityTarget | None = None,
) -> QualityScan:
    """Verify the contracts of `layers` and keep every result in `quality.results`.

    `in_flow`: running as a Prefect flow (credentials may come from a block)."""
    contracts = load_contracts(layers=tuple(layers)) if contracts is None else contracts
    # One backend for both, so a flow loads its GcpCredentials block once.
    backend = open_backend(settings, in_flow)
    owned = target is None
    target = target or backend.quality_target()
    try:
        scan = run_scan(contracts, target, scan_variables(settings, backend), layers, progress)
        target.store_results(scan.rows())
    finally:
        if owned:
            target.close()
    return scan


def validate_contracts(settings: Settings, contracts: Sequence[Contract]) -> None:
    """Complete every contract for the configured backend and check it against Soda's
    schema, running nothing (raises ContractError naming the first bad file)."""
    backend = open_backend(settings)
    target = backend.quality_target()
    try:
        variables = scan_variables(settings, backend)
        for contract in contracts:
            complete(contract, target, variables)
    finally:
        target.close()
