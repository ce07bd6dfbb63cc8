#!/usr/bin/env python3
"""scan-bench.py - the measuring half of benches/scan.sh (which builds the tools and the
namespace, then calls this). Runs every tool on every case, interleaved, for several rounds;
records wall time, peak RSS (GNU time's %M)
and whether the open set equals the truth; prints a Markdown table and writes raw JSON.

usage: scan-bench.py CONFIG.json
CONFIG: {"rounds": N, "out": DIR, "cases": [{"name", "truth": ["addr port", ...],
         "tools": [{"name", "argv": [...], "parser": "portolan|nmap|baseline|rustscan",
                    "shell_prefix": optional}]}]}
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time


def parse_portolan(text):
    found = set()
    for line in text.splitlines()[1:]:
        cols = line.split(",")
        if len(cols) >= 5 and cols[4] == "open":
            found.add(f"{cols[1]} {cols[2]}")
    return found


def parse_nmap(text):
    found = set()
    for line in text.splitlines():
        m = re.match(r"Host: (\S+) .*Ports: (.*)", line)
        if not m:
            continue
        for entry in m.group(2).split(","):
            fields = entry.strip().split("/")
            if len(fields) > 1 and fields[1] == "open":
                found.add(f"{m.group(1)} {fields[0]}")
    return found


def parse_baseline(text):
    return {line.strip() for line in text.splitlines() if line.strip()}


def parse_rustscan(text):
    found = set()
    for line in text.splitlines():
        m = re.match(r"(\S+) -> \[(.*)\]", line.strip())
        if m:
            for port in m.group(2).split(","):
                if port.strip():
                    found.add(f"{m.group(1)} {port.strip()}")
    return found


PARSERS = {
    "portolan": parse_portolan,
    "nmap": parse_nmap,
    "baseline": parse_baseline,
    "rustscan": parse_rustscan,
}


def run_once(argv):
    """Runs argv under GNU time; returns (wall seconds, peak RSS KiB, stdout, exit code).
    GNU time's own small child execs the tool, so the RSS is the tool's (and, with -j, the
    largest of its processes)."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile(mode="r") as rss:
        start = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name] + argv,
                                stdout=subprocess.PIPE, stderr=err)
        # Read stdout while the tool runs so a large output never blocks it.
        out = proc.stdout.read()
        code = proc.wait()
        wall = time.perf_counter() - start
        proc.stdout.close()
        if code not in (0, 1):
            err.seek(0)
            tail = err.read().decode(errors="replace")[-300:]
            print(f"warning: {' '.join(argv)} exited {code}: {tail}", file=sys.stderr)
        text = rss.read().strip().splitlines()
        peak = int(text[-1]) if text and text[-1].isdigit() else 0
    return wall, peak, out.decode(errors="replace"), code


def load_average():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main():
    config = json.load(open(sys.argv[1]))
    rounds = config["rounds"]
    results = {}
    loads = [load_average()]
    for case in config["cases"]:
        truth = set(case["truth"])
        for r in range(rounds):
            for tool in case["tools"]:
                wall, rss, out, code = run_once(tool["argv"])
                found = PARSERS[tool["parser"]](out)
                key = (case["name"], tool["name"])
                rec = results.setdefault(key, {"wall": [], "rss": [], "exact": 0, "runs": 0,
                                               "missed": [], "extra": []})
                rec["wall"].append(wall)
                rec["rss"].append(rss)
                rec["runs"] += 1
                missed = sorted(truth - found)
                extra = sorted(found - truth)
                if not missed and not extra:
                    rec["exact"] += 1
                rec["missed"].append(len(missed))
                rec["extra"].append(len(extra))
                if extra:
                    rec.setdefault("extra_examples", []).extend(extra[:5])
                print(f"[{case['name']}] round {r + 1}/{rounds} {tool['name']}: {wall:.3f} s, "
                      f"{rss / 1024:.1f} MiB, {len(found)} open, missed {len(missed)}, extra {len(extra)}",
                      file=sys.stderr, flush=True)
        loads.append(load_average())

    lines = []
    lines.append(f"load average (1 min) during the run: {', '.join(loads)}; {rounds} rounds, tools interleaved")
    lines.append("")
    lines.append("| case | tool | median wall (min-max) | ratio to portolan | exact runs | peak RSS |")
    lines.append("|---|---|---|---|---|---|")
    raw = []
    for case in config["cases"]:
        base = results.get((case["name"], "portolan"))
        base_median = statistics.median(base["wall"]) if base else None
        for tool in case["tools"]:
            rec = results[(case["name"], tool["name"])]
            med = statistics.median(rec["wall"])
            ratio = f"{med / base_median:.2f}x" if base_median else "-"
            acc = f"{rec['exact']}/{rec['runs']}"
            if rec["exact"] < rec["runs"]:
                acc += f" (missed up to {max(rec['missed'])}, extra up to {max(rec['extra'])})"
            lines.append(f"| {case['name']} | {tool['name']} | {med:.3f} s ({min(rec['wall']):.3f}-{max(rec['wall']):.3f}) "
                         f"| {ratio} | {acc} | {max(rec['rss']) / 1024:.1f} MiB |")
            raw.append({"case": case["name"], "tool": tool["name"], "argv": tool["argv"], **rec})
    table = "\n".join(lines)
    print(table)
    os.makedirs(config["out"], exist_ok=True)
    with open(os.path.join(config["out"], "results.json"), "w") as f:
        json.dump({"loads": loads, "results": raw}, f, indent=1)
    with open(os.path.join(config["out"], "results.md"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
