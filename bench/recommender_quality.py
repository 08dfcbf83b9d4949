"""The recommender against the popularity baseline, offline: a plain and a `--taste`
simulation generated, then `backbeat evaluate recommender` on each (the same code as the
command: offers/evaluation.py); hit@10, MRR@10, coverage and their ratios.

    uv run python bench/recommender_quality.py [--users 3000] [--days 14] [--seed 7]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _results import write_results

from backbeat.settings import get_settings
from offers.evaluation import evaluate, read_page_views


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--days", type=float, default=14)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    figures = {"users": args.users, "days": args.days, "seed": args.seed}
    with tempfile.TemporaryDirectory() as directory:
        for name, extra in (("plain", []), ("taste", ["--taste"])):
            run = Path(directory) / name
            command = [sys.executable, "-m", "backbeat", "generate", "-n", str(args.users)]
            command += ["--from", str(args.days), "--to", "0", "-r", str(args.seed)]
            subprocess.run([*command, *extra, "-o", str(run)], check=True, capture_output=True)
            views, _ = read_page_views([run / "page_view_events"])
            found = evaluate(views, get_settings().sessions).as_dict()
            figures[name] = found
            ratio = found["prequential"]["ratio"]
            print(f"{name}: hit@10 {ratio['hit_at_k']}x popularity, MRR@10 {ratio['mrr_at_k']}x")
    write_results("recommender_quality", figures)


if __name__ == "__main__":
    main()
