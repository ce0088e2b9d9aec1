#!/bin/sh
# SPDX-License-Identifier: MIT
# validate_migrate.sh DIR
#	Check a run folder of `dirtyscope migrate` (results/migrate.md):
#	meta.json and summary.json against results/schema/migrate-*.json
#	(integers must be JSON integers), the headers and fields of rounds.csv
#	and migrations.csv, and that the files agree with each other: one
#	summary object and one migrations.csv line per migration that ran,
#	rounds.csv holding each one's rounds, every measured downtime the sum
#	of its parts, every ratio the quotient it names.
#
# Exit 0 valid, 1 invalid, 2 usage, 77 when /usr/bin/python3 has no
# jsonschema (Debian: python3-jsonschema).
set -u

py=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
schema_dir=${SCHEMA_DIR:-$here/../../results/schema}

[ $# -eq 1 ] || { echo "usage: validate_migrate.sh DIR" >&2; exit 2; }
[ -d "$1" ] || { echo "validate_migrate.sh: $1: not a folder" >&2; exit 1; }
if ! "$py" -c 'import jsonschema' 2>/dev/null; then
	echo "validate_migrate.sh: skipped: $py cannot import jsonschema" \
		"(apt install python3-jsonschema)" >&2
	exit 77
fi

exec "$py" - "$schema_dir" "$1" <<'EOF'
import csv, json, math, os, sys

import jsonschema

schema_dir, run = sys.argv[1], sys.argv[2]
problems = []
problem = problems.append


def strict_validator(schema):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    # JSON Schema counts 3.0 as an integer; our files write integers as integers.
    checker = cls.TYPE_CHECKER.redefine(
        "integer", lambda _, x: isinstance(x, int) and not isinstance(x, bool))
    return jsonschema.validators.extend(cls, type_checker=checker)(schema)


docs = {}
for name in ("meta", "summary"):
    path = os.path.join(run, name + ".json")
    try:
        with open(path) as f:
            doc = json.load(f)
        with open(os.path.join(schema_dir, "migrate-" + name + ".schema.json")) as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        problem(f"{path}: {e}")
        continue
    errors = list(strict_validator(schema).iter_errors(doc))
    for e in errors[:20]:
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        problem(f"{name}.json: {where}: {e.message}")
    if not errors:
        docs[name] = doc


def read_csv(name, header, numeric):
    path = os.path.join(run, name)
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        problem(f"{path}: {e}")
        return []
    if not rows or rows[0] != header:
        problem(f"{name}: header is {rows[0] if rows else None}, expected {header}")
        return []
    good = []
    for line, row in enumerate(rows[1:], 2):
        if len(row) != len(header) or not all(row[i] == "" or row[i].replace(".", "", 1).isdigit()
                                               for i in numeric):
            problem(f"{name}:{line}: bad line {row}")
            continue
        good.append(dict(zip(header, row)))
    return good


ROUNDS = ["migration", "round", "kind", "start_ns", "pages_sent", "bytes_sent", "send_ns",
          "harvest_ns", "dirty_pages", "round_ns", "link_bytes_per_s", "pending_bytes",
          "threshold_bytes", "qemu_expected_downtime_ns", "page_writes"]
MIGRATIONS = ["migration", "device_bytes", "bandwidth_bytes_per_s", "dirty_rate_bytes_per_s",
              "working_set_bytes", "outcome", "rounds", "plan_rounds", "measured_downtime_ns",
              "stop_ns", "final_harvest_ns", "transfer_ns", "state_ns", "resume_ns",
              "plan_downtime_ns", "plan_measured_harvest_downtime_ns",
              "qemu_expected_downtime_ns", "ratio_plan", "ratio_plan_measured_harvest",
              "ratio_qemu", "verified", "warnings"]
meta, summary = docs.get("meta"), docs.get("summary")
if meta and meta["status"] == "running":
    sys.exit(0 if not problems else 1)  # nothing else is promised yet
rounds = read_csv("rounds.csv", ROUNDS, [i for i, h in enumerate(ROUNDS) if h != "kind"])
migs = read_csv("migrations.csv", MIGRATIONS,
                [i for i, h in enumerate(MIGRATIONS) if h not in ("outcome", "verified")])
for r in rounds:
    if r["kind"] not in ("precopy", "stop"):
        problem(f"rounds.csv: kind {r['kind']!r} is neither precopy nor stop")

if summary and meta:
    ran = summary["migrations"]
    if len(ran) > len(meta["migrations"]):
        problem("summary.json: more migrations than meta.json asked for")
    if meta["status"] == "complete" and len(ran) != len(meta["migrations"]):
        problem("summary.json: a complete sweep without every migration of meta.json")
    if len(migs) != len(ran):
        problem(f"migrations.csv: {len(migs)} lines for {len(ran)} migrations")
    for i, m in enumerate(ran):
        where = f"summary.json: migrations/{i}"
        if m["index"] != i:
            problem(f"{where}: index {m['index']}")
        asked = meta["migrations"][i] if i < len(meta["migrations"]) else None
        if asked and any(asked[k] != m[k] for k in asked if k != "index"):
            problem(f"{where}: not the migration meta.json asked for")
        if (m["outcome"] in ("failed", "interrupted")) != (m["error"] is not None):
            problem(f"{where}: error and outcome disagree")
        mine = [r for r in rounds if int(r["migration"]) == i]
        pre = [r for r in mine if r["kind"] == "precopy"]
        if len(pre) != m["precopy_rounds"]:
            problem(f"{where}: {m['precopy_rounds']} rounds, rounds.csv has {len(pre)}")
        if len([r for r in mine if r["kind"] == "stop"]) != (1 if m["resumed"] else 0):
            problem(f"{where}: rounds.csv's stop line and resumed disagree")
        d = m["measured"]
        if (d is None) == m["resumed"]:
            problem(f"{where}: measured must be there exactly when the destination resumed")
        if d and d["downtime_ns"] != sum(d[k] for k in ("stop_ns", "final_harvest_ns",
                                                        "transfer_ns", "state_ns", "resume_ns")):
            problem(f"{where}: the measured downtime is not the sum of its parts")
        for key, pred in (("plan", m["plan"] and m["plan"]["downtime_ns"]),
                          ("plan_measured_harvest",
                           m["plan_measured_harvest"] and m["plan_measured_harvest"]["downtime_ns"]),
                          ("qemu", m["qemu_expected_downtime_ns"])):
            got = m["ratio"][key]
            if d and pred is not None and d["downtime_ns"]:
                want = pred / d["downtime_ns"]
                if got is None or not math.isclose(got, want, rel_tol=1e-9):
                    problem(f"{where}: ratio/{key} is {got}, not {want}")
            elif got is not None:
                problem(f"{where}: ratio/{key} without a measured downtime")
        if m["outcome"] in ("converged", "forced"):
            v = m["verification"]
            if not (v["checked"] and v["ok"] and v["mismatched_pages"] == 0):
                problem(f"{where}: {m['outcome']}, but the destination's check did not pass")
            if m["switchover"] != ("limit_met" if m["outcome"] == "converged" else "max_rounds"):
                problem(f"{where}: switchover {m['switchover']} for outcome {m['outcome']}")
        if i < len(migs):
            line = migs[i]
            if line["outcome"] != m["outcome"] or int(line["device_bytes"]) != m["device_bytes"]:
                problem(f"migrations.csv:{i + 2}: disagrees with summary.json")
            if d and int(line["measured_downtime_ns"]) != d["downtime_ns"]:
                problem(f"migrations.csv:{i + 2}: downtime disagrees with summary.json")
            if int(line["warnings"]) != len(m["warnings"]):
                problem(f"migrations.csv:{i + 2}: warnings disagree with summary.json")
    if meta["status"] == "failed" and not meta["error"]:
        problem("meta.json: failed without an error")

for p in problems:
    print(f"{run}: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
