#!/usr/bin/env python3
"""Copies the tables of bench/results.md (a full run) into BENCHMARKS.md,
between the markers <!-- results:begin --> and <!-- results:end -->."""
import pathlib
import sys

here = pathlib.Path(__file__).resolve().parent
results = (here / "results.md").read_text()
if "(full run)" not in results.splitlines()[0]:
    sys.exit("bench/results.md is not from a full run: run bench/run.sh --callgrind first")
body = "\n".join(results.splitlines()[2:]).strip()      # without the title
body = body.replace("## Instruction counts", "### Instruction counts")
doc_path = here.parent / "BENCHMARKS.md"
doc = doc_path.read_text()
begin, end = "<!-- results:begin -->", "<!-- results:end -->"
head, rest = doc.split(begin, 1)
_, tail = rest.split(end, 1)
doc_path.write_text(f"{head}{begin}\n{body}\n{end}{tail}")
print(f"updated {doc_path}")
