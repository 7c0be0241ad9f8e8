"""Retrain one recorded candidate on a fetched training set: the entry point `modelfleet reproduce` runs in a checkout.

Run as `python -m modelfleet.lineage.retrain` with PYTHONPATH at the recorded
revision's `platform/` and MODELFLEET_REPO at that checkout, so the spec, the
split, the encoder and the trainer are the ones the original run used. Prints
one JSON line: the metric, its name and which code ran.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m modelfleet.lineage.retrain", description=__doc__)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--candidate", default="main")
    parser.add_argument("--partition", default=None)
    parser.add_argument("--training-set", required=True)
    args = parser.parse_args(argv)

    # Reproduction is CPU only: no device a GPU host happens to have changes the arithmetic.
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ.pop("MODELFLEET_XGB_DEVICE", None)
    import pandas as pd

    import modelfleet
    from modelfleet.specs.loader import load_pipeline
    from modelfleet.training.fit import fit_candidate

    spec = load_pipeline(args.tenant, args.model).model
    fitted = fit_candidate(spec, pd.read_parquet(args.training_set), candidate=args.candidate, partition=args.partition or None)
    json.dump({"metric": fitted.metric, "metric_name": fitted.metric_name, "framework": fitted.framework,
               "rows_train": len(fitted.train), "rows_holdout": len(fitted.holdout),
               "code": os.path.dirname(modelfleet.__file__)}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
