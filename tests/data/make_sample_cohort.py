#!/usr/bin/env python3
"""Builds the sample cohort from the golden-case inputs (tests/adapter/cases/*.in.json):
sample-cohort.json (one collection Bundle, 15 patients) and sample-cohort.ndjson (the same
resources, one per line, without the transaction case whose urn:uuid references need a Bundle).

    python3 make_sample_cohort.py
    bonewatch evaluate --as-of 2026-03-01 --format summary tests/data/sample-cohort.json
"""
import glob
import json
import os

here = os.path.dirname(os.path.abspath(__file__))
cases = sorted(glob.glob(os.path.join(here, "..", "adapter", "cases", "*.in.json")))
bundle = {"resourceType": "Bundle", "type": "collection", "entry": []}
lines = []
for path in cases:
    case = json.load(open(path))
    for entry in case["entry"]:
        bundle["entry"].append({k: v for k, v in entry.items() if k != "request"})
        if case["type"] != "transaction":
            lines.append(json.dumps(entry["resource"], ensure_ascii=False, separators=(",", ":")))
with open(os.path.join(here, "sample-cohort.json"), "w") as f:
    json.dump(bundle, f, indent=2, ensure_ascii=False)
    f.write("\n")
with open(os.path.join(here, "sample-cohort.ndjson"), "w") as f:
    f.write("\n".join(lines) + "\n")
