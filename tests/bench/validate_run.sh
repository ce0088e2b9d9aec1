#!/bin/sh
# SPDX-License-Identifier: MIT
# validate_run.sh DIR
#	Check a run folder of `dirtyscope run`: meta.json and summary.json
#	against results/schema/*.json (integers must be JSON integers, not
#	3.0), samples.csv's header and fields, and that the files agree with
#	each other (the summary's counts add up to the samples' lines).
# validate_run.sh --self-test TEST_OUTPUT
#	Run `TEST_OUTPUT --keep` for a synthetic folder, which must pass, then
#	doctored copies of it (a required key missing, a name outside its
#	enum, a float for an integer, ...), which must each fail.
#
# Exit 0 valid, 1 invalid, 2 usage, 77 when /usr/bin/python3 has no
# jsonschema (Debian: python3-jsonschema). SCHEMA_DIR overrides the schemas.
set -u

py=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
schema_dir=${SCHEMA_DIR:-$here/../../results/schema}

usage() {
	echo "usage: validate_run.sh DIR | validate_run.sh --self-test TEST_OUTPUT" >&2
	exit 2
}

if ! "$py" -c 'import jsonschema' 2>/dev/null; then
	echo "validate_run.sh: skipped: $py cannot import jsonschema" \
		"(apt install python3-jsonschema)" >&2
	exit 77
fi

# argv: SCHEMA_DIR RUN_DIR. Prints every problem; exit 1 if there was one.
VALIDATE='
import csv, json, os, sys
from collections import Counter

import jsonschema

schema_dir, run = sys.argv[1], sys.argv[2]
problems = []


def problem(msg):
    problems.append(msg)


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
        with open(os.path.join(schema_dir, name + ".schema.json")) as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        problem(f"{path}: {e}")
        continue
    errors = list(strict_validator(schema).iter_errors(doc))
    for e in errors[:20]:
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        problem(f"{name}.json: {where}: {e.message}")
    if len(errors) > 20:
        problem(f"{name}.json: {len(errors) - 20} more errors")
    if not errors:
        docs[name] = doc

HEADER = ["iteration", "stage", "harvest", "device", "layout", "op", "request", "path",
          "mapping", "bitmap_bytes", "pages", "dirty_pages", "ns", "memcpy_bytes", "memcpy_ns"]
NUMERIC = (0, 3, 8, 9, 10, 11, 12, 13, 14)
OPS = {"map", "populate", "start", "dirty", "get_bitmap", "unmap_bitmap", "stop", "unmap"}
REQUESTS, PATHS = {"-", "mapping", "merged"}, {"-", "aligned", "shift"}
STAGES = {"setup", "warmup", "steady", "churn", "cycle", "teardown"}
meta = docs.get("meta")
harvests = set(meta["harvests"]) if meta else None
devices = meta["devices"] if meta else None
counts = Counter()
if meta and meta["status"] != "running" and not os.path.exists(os.path.join(run, "summary.json")):
    problem("summary.json: missing, while meta.json says the run ended")
path = os.path.join(run, "samples.csv")
try:
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header != HEADER:
            problem(f"samples.csv: header is {header}, expected {HEADER}")
        bad = 0
        for line, row in enumerate(rows, 2):
            ok = (len(row) == len(HEADER)
                  and all(row[i].isdigit() for i in NUMERIC)
                  and row[1] in STAGES and row[5] in OPS and row[6] in REQUESTS
                  and row[7] in PATHS
                  and (harvests is None or row[2] in harvests)
                  and (devices is None or (int(row[3]) < len(devices)
                                           and devices[int(row[3])]["layout"] == row[4])))
            if ok and row[5] not in ("get_bitmap", "unmap_bitmap") and row[11] != "0":
                ok = False
            if not ok:
                bad += 1
                if bad <= 5:
                    problem(f"samples.csv:{line}: bad line {row}")
                continue
            counts[(row[2], int(row[3]), row[5], row[6], row[7], row[1])] += 1
        if bad > 5:
            problem(f"samples.csv: {bad - 5} more bad lines")
except OSError as e:
    problem(f"{path}: {e}")

summary = docs.get("summary")
if summary:
    for i, r in enumerate(summary["rows"]):
        if not r["min_ns"] <= r["median_ns"] <= r["p90_ns"] <= r["p99_ns"] <= r["max_ns"]:
            problem(f"summary.json: rows/{i}: min <= median <= p90 <= p99 <= max does not hold")
        if (r["memcpy_n"] == 0) != (r["memcpy_median_ns"] is None):
            problem(f"summary.json: rows/{i}: memcpy_median_ns and memcpy_n disagree")
        if (r["op"] in ("get_bitmap", "unmap_bitmap")) == (r["dirty_pages"] is None):
            problem(f"summary.json: rows/{i}: dirty_pages is null for a harvest, or set for another call")
    for i, e in enumerate(summary["downtime"]["estimates"]):
        if e["downtime_ns"] != e["final_harvest_ns"] + e["transfer_ns"] + e["state_ns"]:
            problem(f"summary.json: downtime/estimates/{i}: downtime_ns is not the sum of its parts")
        if e["fits"] != (e["downtime_ns"] <= summary["downtime"]["limit_ns"]):
            problem(f"summary.json: downtime/estimates/{i}: fits disagrees with limit_ns")
if summary and meta:
    for kind in ("rows", "phases", "downtime"):
        items = summary[kind]["estimates"] if kind == "downtime" else summary[kind]
        for i, r in enumerate(items):
            h = r["harvest"]
            if h not in harvests:
                problem(f"summary.json: {kind}/{i}: harvest {h} not in meta.json")
            devs = meta["devices"]
            if r["device"] >= len(devs) or devs[r["device"]]["layout"] != r["layout"]:
                problem(f"summary.json: {kind}/{i}: device and layout disagree with meta.json")
    want = Counter()
    for r in summary["rows"]:
        want[(r["harvest"], r["device"], r["op"], r["request"], r["path"], r["stage"])] += r["n"]
    if want != counts:
        diff = set(want.items()) ^ set(counts.items())
        problem(f"summary.json and samples.csv disagree on the samples of {len(diff)} groups,"
                f" e.g. {sorted(diff)[:2]}")

for p in problems:
    print(f"{run}: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
'

validate() {
	"$py" -c "$VALIDATE" "$schema_dir" "$1"
}

# argv: FILE EXPR; EXPR edits the loaded document d.
DOCTOR='
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
exec(sys.argv[2])
if d is None:
    import os
    os.remove(sys.argv[1])
else:
    with open(sys.argv[1], "w") as f:
        json.dump(d, f, indent=2)
'

self_test() {
	bin=$1
	dir=$("$bin" --keep) || { echo "FAIL: $bin --keep" >&2; exit 1; }
	[ -d "$dir" ] || { echo "FAIL: $bin --keep printed no folder: '$dir'" >&2; exit 1; }
	top=${dir%/runs/*}
	trap 'rm -rf "$top"' EXIT
	fail=0
	if validate "$dir"; then
		echo "ok: $dir is valid"
	else
		echo "FAIL: the folder of test_output does not validate" >&2
		fail=1
	fi

	bad=$top/doctored
	# must_fail WHAT WORD-IN-MESSAGE FILE EXPR: a doctored copy must fail, for the right reason.
	must_fail() {
		rm -rf "$bad"
		cp -r "$dir" "$bad"
		case $3 in
		*.json) "$py" -c "$DOCTOR" "$bad/$3" "$4" || { fail=1; return; } ;;
		*) sed -i "$4" "$bad/$3" ;;
		esac
		validate "$bad" >"$top/msg" 2>&1
		status=$?
		if [ "$status" -ne 1 ]; then
			echo "FAIL: $1: exit status $status, expected 1" >&2
			cat "$top/msg" >&2
			fail=1
		elif ! grep -q -- "$2" "$top/msg"; then
			echo "FAIL: $1: the message does not name '$2':" >&2
			cat "$top/msg" >&2
			fail=1
		else
			echo "ok: $1: rejected"
		fi
	}
	must_fail "summary row without median_ns" "median_ns" summary.json \
		'del d["rows"][0]["median_ns"]'
	must_fail "summary without phases" "phases" summary.json 'del d["phases"]'
	must_fail "phase total without walk_nodes" "walk_nodes" summary.json \
		'del d["phases"][0]["walk_nodes"]'
	must_fail "a phase without a name" "name" summary.json \
		'del d["phases"][0]["phases"][0]["name"]'
	must_fail "stage outside its enum" "lunch" summary.json 'd["rows"][0]["stage"] = "lunch"'
	must_fail "status outside its enum" "finished" meta.json 'd["status"] = "finished"'
	must_fail "a downtime that does not add up" "sum of its parts" summary.json \
		'd["downtime"]["estimates"][0]["downtime_ns"] += 1'
	must_fail "a run that ended without summary" "missing" summary.json 'd = None'
	must_fail "op outside its enum" "get_bitmaps" summary.json \
		'd["rows"][0]["op"] = "get_bitmaps"'
	must_fail "request outside its enum" "whole" summary.json \
		'd["rows"][1]["request"] = "whole"'
	must_fail "path outside its enum" "diagonal" summary.json \
		'd["phases"][0]["path"] = "diagonal"'
	must_fail "a float for an integer" "integer" summary.json \
		'd["rows"][0]["n"] = d["rows"][0]["n"] + 0.0'
	must_fail "a string for an integer" "pages" meta.json 'd["devices"][0]["pages"] = "16384"'
	must_fail "meta without schema_version" "schema_version" meta.json 'del d["schema_version"]'
	must_fail "an unknown key" "surprise" summary.json 'd["rows"][0]["surprise_ns"] = 1'
	must_fail "host without numa_nodes" "numa_nodes" meta.json 'del d["host"]["numa_nodes"]'
	must_fail "a median above the max" "median" summary.json \
		'd["rows"][0]["median_ns"] = d["rows"][0]["max_ns"] + 1'
	must_fail "another csv header" "header" samples.csv '1s/,ns,/,nanoseconds,/'
	must_fail "a sample lost" "disagree" samples.csv '$d'
	must_fail "csv op outside its enum" "samples.csv:2" samples.csv '2s/,map,/,mop,/'
	must_fail "csv device of another layout" "samples.csv:2" samples.csv '2s/,0,ragged:64,/,1,ragged:64,/'
	[ "$fail" -eq 0 ] && echo "validate_run.sh: self-test passed"
	return "$fail"
}

case ${1:-} in
--self-test)
	[ $# -eq 2 ] || usage
	self_test "$2"
	exit $?
	;;
-h | --help | -*) usage ;;
"") usage ;;
esac
[ $# -eq 1 ] || usage
[ -d "$1" ] || { echo "validate_run.sh: $1: not a folder" >&2; exit 1; }
validate "$1"
