"""A scan for people: the markdown report and the rows of the table artifact."""

from __future__ import annotations

from typing import Any

from backbeat.quality.scan import QualityScan

_MARK = {"passed": "✅", "failed": "❌"}


def result_table(scan: QualityScan) -> list[dict[str, Any]]:
    """One row per check, failures first (the table artifact)."""
    ordered = sorted(scan.results, key=lambda r: (not r.fails, r.contract, r.column or ""))
    return [
        {
            "outcome": r.outcome,
            "contract": r.contract,
            "column": r.column or "",
            "check": f"{r.check_type}: {r.check}",
            "value": r.value,
            "threshold": r.threshold or "",
        }
        for r in ordered
    ]


def markdown_report(scan: QualityScan) -> str:
    """What failed (by name, with value and threshold), then the count per contract."""
    counts = scan.outcomes()
    verdict = "passed" if scan.ok else f"**failed**: {len(scan.failed)} checks"
    lines = [
        f"# Quality scan {scan.run_id}",
        "",
        f"Layers {', '.join(scan.layers)}: {len(scan.results)} checks, {verdict} "
        f"({', '.join(f'{n} {o}' for o, n in sorted(counts.items()))}).",
        "",
    ]
    if scan.failed:
        lines += [
            "## Failed checks",
            "",
            "| check | value | threshold | detail |",
            "|---|---|---|---|",
        ]
        for r in scan.failed:
            detail = (r.message or "").replace("\n", " ").replace("|", "\\|")[:300]
            value = "" if r.value is None else f"{r.value:g}"
            lines.append(f"| {r.label} | {value} | {r.threshold or ''} | {detail} |")
        lines.append("")
    lines += ["## Contracts", "", "| contract | checks | failed |", "|---|---|---|"]
    per_contract: dict[str, list[int]] = {}
    for r in scan.results:
        tally = per_contract.setdefault(r.contract, [0, 0])
        tally[0] += 1
        tally[1] += r.fails
    for contract, (checks, failed) in per_contract.items():
        lines.append(
            f"| {_MARK['failed' if failed else 'passed']} {contract} | {checks} | {failed} |"
        )
    return "\n".join(lines) + "\n"
