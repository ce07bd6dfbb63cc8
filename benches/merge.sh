#!/usr/bin/env bash
# merge.sh - how long `portolan merge` takes for 1,000 result files of 60 results each.
#
# Generates synthetic `check --format jsonl` output (no network): 250 hosts x 60 ports, each
# checked from 4 vantages (zone-0..zone-3), one file per host and vantage, so 1,000 files and
# 60,000 results; zone-3 sees TCP 445 of every tenth host FILTERED where the others see it
# LISTENING, so merge has differences to find. Then times `portolan merge` over all of them
# with hyperfine, in JSON and as a table, and prints the means. Needs hyperfine
# (scripts/install-deps.sh). FILES and PER_FILE change the size.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
files="${FILES:-1000}"
per_file="${PER_FILE:-60}"
cargo build --release -q -p portolan
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/portolan"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$files" "$per_file" <<'PY'
import json, sys
work, files, per_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
answers = {
    "LISTENING": ("syn-ack", "connection accepted (SYN-ACK)"),
    "NOT LISTENING": ("conn-refused", "connection refused (RST)"),
    "FILTERED": ("no-response", "no answer to 2 SYNs (waited up to 100 ms each)"),
}
for i in range(files):
    vantage, host = f"zone-{i % 4}", i // 4
    with open(f"{work}/{vantage}-host-{host:04}.jsonl", "w") as f:
        for p in range(per_file):
            port = 445 if p == 0 else 1000 + p
            status = "LISTENING" if p % 3 == 0 else "NOT LISTENING"
            if port == 445 and vantage == "zone-3" and host % 10 == 0:
                status = "FILTERED"
            reason, answer = answers[status]
            f.write(json.dumps({
                "vantage": vantage, "host": f"host-{host:04}.example.net",
                "address": f"10.{host // 250}.{host % 250}.1", "transport": "tcp", "port": port,
                "status": status, "reason": reason, "probe": "TCP connect", "answer": answer,
                "evidence": None, "verification": None, "note": None, "rtt_ms": 0.4,
                "attempts": 1, "origin": "catalog",
                "rows": [{"service_id": "server", "service": "Server", "app_protocol": "SMB"}],
            }) + "\n")
PY
count=$(ls "$work" | wc -l)
lines=$(cat "$work"/*.jsonl | wc -l)
echo "merging $count files, $lines results"
"$bin" merge "$work"/*.jsonl --format json >"$work/merged.json" || true
python3 - "$work/merged.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("vantages", len(d["vantages"]), "summary", d["summary"], "exit_code", d["exit_code"])
PY
out="$(mktemp)"
# merge exits 1 when vantages differ, as they do here: -i keeps hyperfine going.
# -N runs without a shell, so the file list is expanded here.
inputs="$(echo "$work"/*.jsonl)"
hyperfine -N -i --warmup 1 --runs "${RUNS:-10}" --export-json "$out" \
    "$bin merge $inputs --format json" "$bin merge $inputs --format table" >/dev/null
python3 - "$out" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    fmt = r["command"].rsplit(" ", 1)[-1]
    print(f"portolan merge --format {fmt:5}  mean {r['mean']*1e3:.0f} ms (sd {r['stddev']*1e3:.0f}, min {r['min']*1e3:.0f})")
PY
rm -f "$out"
