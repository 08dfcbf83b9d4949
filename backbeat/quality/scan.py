"""One quality scan: every contract of the chosen layers, completed for the backend and
verified by Soda in one session; each check's outcome kept as a `CheckResult`.

Soda's verdicts are kept (passed, failed, warned), but what Soda could not evaluate fails
here: a check whose query did not run is an `error` (with Soda's reason), and a contract whose
table is missing, which Soda reports as an error and its checks as not evaluated, is one
failed check `contract can be verified`. A scan of a warehouse without a table, or with a
check that cannot run, never reads as clean.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import yaml

from backbeat.quality.contracts import Contract, complete

if TYPE_CHECKING:
    from backbeat.warehouse.backend import QualityTarget

#: Outcomes that fail a scan.
FAILING: Final = frozenset({"failed", "error"})
UNVERIFIED_CHECK: Final = "contract can be verified"


@dataclass(frozen=True)
class CheckResult:
    """One check of one contract in one scan (a row of `quality.results`)."""

    contract: str
    check: str
    check_type: str
    column: str | None
    outcome: str
    value: float | None
    threshold: str | None
    message: str | None = None

    @property
    def label(self) -> str:
        """Where and what: `raw.listen_events.level: invalid (No invalid values)`."""
        where = f"{self.contract}.{self.column}" if self.column else self.contract
        return f"{where}: {self.check_type} ({self.check})"

    @property
    def fails(self) -> bool:
        return self.outcome in FAILING


@dataclass
class QualityScan:
    run_id: str
    layers: tuple[str, ...]
    started_at: datetime
    finished_at: datetime | None = None
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.fails]

    @property
    def ok(self) -> bool:
        return not self.failed

    def outcomes(self) -> Counter[str]:
        return Counter(r.outcome for r in self.results)

    def rows(self) -> list[dict[str, Any]]:
        """The rows of `quality.results` for this scan (columns as RESULT_COLUMNS)."""
        checked_at = self.finished_at or self.started_at
        return [
            {
                "run_id": self.run_id,
                "contract": r.contract,
                "check_name": r.check,
                "check_type": r.check_type,
                "column_name": r.column,
                "outcome": r.outcome,
                "value": r.value,
                "threshold": r.threshold,
                "message": r.message,
                "checked_at": checked_at,
            }
            for r in self.results
        ]


def new_scan(layers: Sequence[str]) -> QualityScan:
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
    return QualityScan(run_id, tuple(layers), datetime.now(UTC))


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _threshold(threshold: Any) -> str | None:
    if threshold is None:
        return None
    parts = [line for line in str(threshold).splitlines() if not line.startswith("level:")]
    return "; ".join(parts) or None


def _schema_problems(result: Any) -> str | None:
    """What a failed schema check found, in one line."""
    problems = [
        f"{m.column} is {m.actual_data_type}, expected {m.expected_data_type}"
        for m in result.column_data_type_mismatches or []
    ]
    problems += [f"{c} is missing" for c in result.expected_column_names_not_actual or []]
    problems += [f"{c} is not expected" for c in result.actual_column_names_not_expected or []]
    if result.are_columns_out_of_order:
        problems.append("columns are out of order")
    return "; ".join(problems) or None


def _table_missing(result: Any) -> bool:
    """Soda's schema check knows whether the table exists (a method on its result)."""
    probe = getattr(result, "dataset_does_not_exists", None)
    return bool(probe()) if callable(probe) else False


def _check_results(contract: Contract, verified: Any) -> list[CheckResult]:
    errors = (verified.get_errors_str() if verified.has_errors else "").strip()[:2000]
    checks = [r for r in verified.check_results if str(r.outcome.name) != "EXCLUDED"]
    if not checks or any(_table_missing(r) for r in checks):
        reason = "the table does not exist" if checks else "Soda returned no result"
        message = f"{reason}: {errors}" if errors else reason
        return [
            CheckResult(
                contract.name, UNVERIFIED_CHECK, "contract", None, "failed", None, None, message
            )
        ]
    results = []
    for result in checks:
        check = result.check
        outcome = str(result.outcome.name).lower()
        not_run = outcome == "not_evaluated"
        results.append(
            CheckResult(
                contract=contract.name,
                check=str(check.name or check.type),
                check_type=str(check.type),
                column=check.column_name,
                outcome="error" if not_run else outcome,
                value=_number(result.threshold_value),
                threshold=_threshold(check.threshold),
                message=(errors or "not evaluated")
                if not_run
                else _schema_problems(result)
                if check.type == "schema"
                else None,
            )
        )
    return results


def run_scan(
    contracts: Sequence[Contract],
    target: QualityTarget,
    variables: Mapping[str, Any],
    layers: Sequence[str],
    progress: Callable[[str], None] | None = None,
) -> QualityScan:
    """Verify `contracts` on `target` in one Soda session; the scan with every result."""
    from soda_core.common.yaml import ContractYamlSource
    from soda_core.contracts.contract_verification import ContractVerificationSession

    scan = new_scan(layers)
    sources = []
    for contract in contracts:
        document = complete(contract, target, variables)
        text = yaml.safe_dump(document, sort_keys=False)
        sources.append(ContractYamlSource.from_str(text, file_path=str(contract.path)))
    soda_logs = logging.getLogger("soda")
    level = soda_logs.level
    soda_logs.setLevel(logging.WARNING)  # Soda logs a table per contract at INFO
    try:
        session = ContractVerificationSession.execute(
            contract_yaml_sources=sources,
            data_source_impls=[target.data_source()],
            data_timestamp=scan.started_at.isoformat(),
        )
    finally:
        soda_logs.setLevel(level)
    # One result per contract source, in the order given.
    for contract, verified in zip(contracts, session.contract_verification_results, strict=True):
        found = _check_results(contract, verified)
        scan.results.extend(found)
        if progress:
            failed = sum(r.fails for r in found)
            progress(f"{contract.name}: {len(found)} checks, {failed} failed")
    scan.finished_at = datetime.now(UTC)
    return scan
