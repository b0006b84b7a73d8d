#!/usr/bin/env python3
"""Compares a bench-ci run (artifacts/benchmarks) with the committed baseline (benchmarks/ci/baseline.json).

Reads the Ratio column (OKOME or a peer over the class's baseline peer; the baseline rows themselves are left out) of each BenchmarkDotNet Markdown report and the
exit code of each mode. Prints a FLAG line for each ratio that grew beyond the threshold against the baseline: a flag,
not a failure, because ratios on two shared cores move by tens of percent between runs. Fails (exit 1) when a mode
reported a correctness failure or ran over its limit, or when BenchmarkDotNet produced no ratio at all.
Writes summary.json and summary.md beside the results. --write-baseline PATH writes this run's ratios as a new baseline.
"""
import argparse
import glob
import json
import os
import re
import sys

# Columns from Mean on are statistics; the ones before it (Method, parameters, job) name the benchmark.
STATISTICS_START = "Mean"
MODE_FAILURES = {
    "stampede": "more than one upstream call for one key",
    "budget-exactness": "permits or accounting not exact",
    "service-faults": "a 5xx or a dropped connection (or the services did not start)",
    "entry-size": "an entry that does not replay byte-identical, or more Redis bytes than the goal",
}


def baseline_methods(sources):
    """The methods marked [Benchmark(Baseline = true)]: their ratio is the peer against itself, noise only."""
    pattern = re.compile(r"\[Benchmark\([^)]*Baseline\s*=\s*true[^)]*\)\]\s*(?:\[[^\]]*\]\s*)*public\s[^(]*?(\w+)\s*\(")
    names = set()
    for path in glob.glob(os.path.join(sources, "**", "*.cs"), recursive=True):
        names.update(pattern.findall(open(path, encoding="utf-8").read()))
    return names


def read_ratios(results):
    ratios = {}
    for path in sorted(glob.glob(os.path.join(results, "bdn", "results", "*-report-github.md"))):
        benchmark_class = os.path.basename(path).split("-report-")[0].split(".")[-1]
        header = None
        for line in open(path, encoding="utf-8"):
            line = line.strip()
            if not line.startswith("|"):
                header = None if not line else header
                continue
            cells = [c.strip().replace("**", "").strip("'") for c in line.strip("|").split("|")]
            if header is None:
                header = cells
                continue
            if set("".join(cells)) <= set("-: "):
                continue
            row = dict(zip(header, cells))
            if "Ratio" not in row or "Method" not in row:
                continue
            names = [f"{column}={row[column]}" for column in header[: header.index(STATISTICS_START)]
                     if column not in ("Method", "Job", "Toolchain", "IterationCount", "IterationTime", "LaunchCount", "WarmupCount")]
            name = f"{benchmark_class}.{row['Method']}" + (f" ({', '.join(names)})" if names else "")
            try:
                ratios[name] = float(row["Ratio"])
            except ValueError:
                ratios[name] = None  # '?' or 'NA': BenchmarkDotNet could not compute it
    return ratios


def read_modes(results):
    modes = {}
    for path in sorted(glob.glob(os.path.join(results, "modes", "*.exit"))):
        name = os.path.basename(path)[: -len(".exit")]
        modes[name] = int(open(path, encoding="utf-8").read().strip() or "1")
    return modes


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", default="artifacts/benchmarks")
    parser.add_argument("--baseline", default="benchmarks/ci/baseline.json")
    parser.add_argument("--threshold", type=float, default=25.0, help="percent of ratio growth that flags")
    parser.add_argument("--sources", default="benchmarks/Okome.Benchmarks", help="where the [Benchmark] classes are")
    parser.add_argument("--write-baseline", metavar="PATH")
    args = parser.parse_args()

    peers = baseline_methods(args.sources)
    ratios = {name: ratio for name, ratio in read_ratios(args.results).items()
              if name.split(" ")[0].split(".")[-1] not in peers}
    modes = read_modes(args.results)
    baseline = json.load(open(args.baseline, encoding="utf-8")) if os.path.exists(args.baseline) else {"ratios": {}}
    if not os.path.exists(args.baseline):
        print(f"compare: no baseline at {args.baseline}: nothing to compare with")

    rows, flags, failures = [], [], []
    for name, ratio in sorted(ratios.items()):
        before = baseline["ratios"].get(name)
        change = None if ratio is None or not before else (ratio / before - 1) * 100
        flagged = change is not None and change > args.threshold
        rows.append({"benchmark": name, "ratio": ratio, "baseline": before, "change_percent": change, "flag": flagged})
        if flagged:
            flags.append(f"FLAG {name}: ratio {ratio:.2f}, baseline {before:.2f} (+{change:.0f} %, threshold {args.threshold:.0f} %)")
        elif ratio is None:
            print(f"compare: {name}: no ratio in this run")
    for name in sorted(set(baseline["ratios"]) - set(ratios)):
        print(f"compare: {name} is in the baseline but not in this run")

    for name, code in sorted(modes.items()):
        if code == 124 or code == 137:
            failures.append(f"FAILED mode {name}: ran over its time limit")
        elif code != 0:
            failures.append(f"FAILED mode {name}: exit {code}: {MODE_FAILURES.get(name, 'failure')} (report: {args.results}/modes/{name}.txt)")
    if not [r for r in rows if r["ratio"] is not None]:
        failures.append(f"FAILED: no BenchmarkDotNet ratio in {args.results}/bdn/results (see {args.results}/benchmarkdotnet.log)")

    summary = {"threshold_percent": args.threshold, "baseline": args.baseline, "ratios": rows,
               "modes": {name: {"exit": code, "ok": code == 0} for name, code in modes.items()},
               "flags": flags, "failures": failures}
    with open(os.path.join(args.results, "summary.json"), "w", encoding="utf-8") as out:
        json.dump(summary, out, indent=2)
    with open(os.path.join(args.results, "summary.md"), "w", encoding="utf-8") as out:
        out.write(f"# bench-ci summary\n\nRatios against the baseline peer of each class; flag above +{args.threshold:.0f} % of {args.baseline}.\n\n")
        out.write("| benchmark | ratio | baseline | change | |\n|---|---:|---:|---:|---|\n")
        for r in rows:
            fmt = lambda v, spec: "–" if v is None else format(v, spec)
            out.write(f"| {r['benchmark']} | {fmt(r['ratio'], '.2f')} | {fmt(r['baseline'], '.2f')} | {fmt(r['change_percent'], '+.0f')} % | {'FLAG' if r['flag'] else ''} |\n")
        out.write("\n| mode | exit | |\n|---|---:|---|\n")
        for name, code in sorted(modes.items()):
            out.write(f"| {name} | {code} | {'ok' if code == 0 else 'FAILED'} |\n")

    print(open(os.path.join(args.results, "summary.md"), encoding="utf-8").read())
    for line in flags + failures:
        print(line)
    if args.write_baseline:
        with open(args.write_baseline, "w", encoding="utf-8") as out:
            json.dump({"note": "ratios of a bench-ci run; regenerate with: python3 benchmarks/ci/compare.py --write-baseline benchmarks/ci/baseline.json",
                       "ratios": {name: ratio for name, ratio in sorted(ratios.items()) if ratio is not None}}, out, indent=2)
            out.write("\n")
        print(f"compare: wrote {args.write_baseline}")
    print(f"compare: {len(rows)} ratios, {len(flags)} flagged; {len(modes)} modes, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
