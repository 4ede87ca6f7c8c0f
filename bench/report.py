#!/usr/bin/env python3
"""Turns bench/target/raw.tsv (written by run.sh) into the markdown report.

Prints the report and writes it to the given file. Exits 1 if the
contenders' checksums differ for a workload (or within one contender).
"""
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict

CONTENDERS = ["c", "rusqlite", "ferrolite"]
# Workloads whose time is more than the CPU spent by the process: waiting for
# the disk (small_txn), two threads in parallel (concurrent_read), or a
# latency across threads (interrupt_latency). They are always ranked by wall
# time; the others by CPU time unless METRIC=wall.
WALL_ONLY = {"small_txn", "concurrent_read", "interrupt_latency"}


def uses_cpu(metric, w):
    return metric == "auto" and w not in WALL_ONLY


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_rev(root):
    try:
        return subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return "unknown"


def main(raw_path, out_path):
    metric = os.environ.get("METRIC", "auto")
    times = defaultdict(list)      # (w, c) -> [ns] of the primary metric
    other = defaultdict(list)      # (w, c) -> [ns] of the other metric
    extras = defaultdict(list)     # (w, c) -> [max_ns]
    checks = defaultdict(set)      # (label, w) -> {(c, ck)}
    state = {}                     # (w, c) -> SKIP / PENDING / FAIL
    irs = {}                       # (w, c) -> Ir
    order = []
    with open(raw_path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            label, c, w = parts[0], parts[1], parts[2]
            if w not in order and label == "time":
                order.append(w)
            if label == "ir":
                if len(parts) > 3 and parts[3]:
                    irs[(w, c)] = int(parts[3])
                continue
            if parts[3] in ("SKIP", "PENDING", "FAIL"):
                if label == "time" or parts[3] == "FAIL":
                    state[(w, c)] = parts[3]
                continue
            ns, ck = int(parts[3]), parts[4]
            kv = dict(p.split("=", 1) for p in parts[5:] if "=" in p)
            checks[(label, w)].add((c, ck))
            if label == "time":
                cpu = int(kv["cpu_ns"]) if "cpu_ns" in kv else None
                if uses_cpu(metric, w) and cpu is not None:
                    times[(w, c)].append(cpu)
                    other[(w, c)].append(ns)
                else:
                    times[(w, c)].append(ns)
                    if cpu is not None:
                        other[(w, c)].append(cpu)
                if "max_ns" in kv:
                    extras[(w, c)].append(int(kv["max_ns"]))

    bad = []
    for (label, w), seen in sorted(checks.items()):
        if len({ck for _, ck in seen}) > 1:
            bad.append(f"checksum mismatch in {w} ({label}): "
                       + ", ".join(f"{c}={ck}" for c, ck in sorted(seen)))

    mode = os.environ.get("MODE", "?")
    n = os.environ.get("N", "?")
    reps = os.environ.get("REPS", "?")
    root = os.environ.get("ROOT", ".")
    out = []
    out.append(f"# ferrolite benchmark results ({mode} run)\n")
    out.append(f"- date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    out.append(f"- commit: {git_rev(root)}; N = {n} rows; {reps} runs per contender, "
               "alternating; medians")
    out.append(f"- machine: {os.cpu_count()} CPUs, {cpu_model()}, {platform.system()} "
               f"{platform.release()}")
    if os.environ.get("FERROLITE_SQLITE_FLAGS"):
        out.append("- SQLite options changed for C and ferrolite: "
                   f"`FERROLITE_SQLITE_FLAGS={os.environ['FERROLITE_SQLITE_FLAGS']}`")
    if os.environ.get("FERRO_STATE") == "pending":
        out.append("- ferrolite: **pending** (the crate did not build)")
    out.append("")
    if metric == "auto":
        out.append("Median time of the workload only (setup excluded): process CPU time "
                   "(clock `cpu`) for the single-threaded CPU-bound workloads, so that other "
                   "processes on the 2 cores disturb the ranking less, and wall-clock time "
                   "(clock `wall`) for small_txn, concurrent_read and interrupt_latency. "
                   "`--wall` ranks all by wall-clock time. Ratios are contender / C and "
                   "contender / rusqlite: below 1 is faster. Notes: the median of the other "
                   "clock, and the spread (min-max) of the runs.\n")
    else:
        out.append("Median wall-clock time of the workload only (setup excluded). Ratios are "
                   "contender / C and contender / rusqlite: below 1 is faster. Notes: the "
                   "median CPU time, and the spread (min-max) of the runs.\n")
    try:
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
        out.insert(4, f"- load average when the report was written: {load} "
                   "(other processes on the 2 cores make wall-clock times noisy; "
                   "instruction counts (`--callgrind`) are the steadiest measure)")
    except OSError:
        pass
    out.append("| workload | contender | median ms | clock | ratio to C | ratio to rusqlite "
               "| notes |")
    out.append("|---|---|---:|---|---:|---:|---|")

    def fmt_ms(ns):
        ms = ns / 1e6
        return f"{ms:.4f}" if ms < 1 else f"{ms:.1f}" if ms >= 100 else f"{ms:.2f}"

    for w in order:
        med = {c: statistics.median(times[(w, c)]) for c in CONTENDERS if times[(w, c)]}
        for c in CONTENDERS:
            st = state.get((w, c))
            if c not in med:
                label = {"SKIP": "skipped", "PENDING": "pending", "FAIL": "FAILED"}.get(st, "-")
                out.append(f"| {w} | {c} | {label} | | | | |")
                continue
            rc = f"{med[c] / med['c']:.2f}" if "c" in med else ""
            rr = f"{med[c] / med['rusqlite']:.2f}" if "rusqlite" in med else ""
            note = []
            if extras[(w, c)]:
                note.append(f"max {max(extras[(w, c)]) / 1e3:.1f} µs")
            if w == "interrupt_latency":
                note.insert(0, f"median {med[c] / 1e3:.1f} µs of 20 interrupts")
            clock = "cpu" if uses_cpu(metric, w) else "wall"
            if other[(w, c)]:
                label = "wall" if clock == "cpu" else "cpu"
                note.append(f"{label} {fmt_ms(statistics.median(other[(w, c)]))}")
            if st == "FAIL":
                note.append("some runs FAILED")
            spread = times[(w, c)]
            if len(spread) > 1:
                note.append(f"min-max {fmt_ms(min(spread))}-{fmt_ms(max(spread))}")
            out.append(f"| {w} | {c} | {fmt_ms(med[c])} | {clock} | {rc} | {rr} | "
                       f"{'; '.join(note)} |")

    if irs:
        ncg = os.environ.get("NCG", "?")
        out.append("")
        out.append(f"## Instruction counts (callgrind, N = {ncg}, measured part only)\n")
        out.append("| workload | C Ir | rusqlite Ir | ferrolite Ir | rusqlite / C | "
                   "ferrolite / C | ferrolite / rusqlite |")
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for w in order:
            row = {c: irs.get((w, c)) for c in CONTENDERS}
            if not any(row.values()):
                continue

            def ratio(a, b):
                return f"{row[a] / row[b]:.2f}" if row[a] and row[b] else ""

            cells = [f"{row[c]:,}" if row[c] else state.get((w, c), "-").lower()
                     for c in CONTENDERS]
            out.append(f"| {w} | {' | '.join(cells)} | {ratio('rusqlite', 'c')} | "
                       f"{ratio('ferrolite', 'c')} | {ratio('ferrolite', 'rusqlite')} |")

    if bad:
        out.append("")
        out.extend(f"**{b}**" for b in bad)
    text = "\n".join(out) + "\n"
    print(text)
    with open(out_path, "w") as f:
        f.write(text)
    for b in bad:
        print(b, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
