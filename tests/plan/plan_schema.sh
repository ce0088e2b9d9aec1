#!/bin/sh
# SPDX-License-Identifier: MIT
# plan_schema.sh DIRTYSCOPE FIXTURE_RUN SCHEMA: plan.json of several plans
# (built-in terms, iommu scope, fitted to a run, per-mapping queries) against
# results/schema/plan.schema.json, integers as JSON integers. Exit 77 when
# /usr/bin/python3 has no jsonschema (Debian: python3-jsonschema).
set -u
bin=$1
run=$2
schema=$3
py=/usr/bin/python3
if ! "$py" -c 'import jsonschema' 2>/dev/null; then
	echo "plan_schema.sh: skipped: $py cannot import jsonschema" >&2
	exit 77
fi
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT

i=0
for args in "" "--tracking iommu --device-size 64M..4G" \
	"--from $run --device-size 256M..16G --mappings 8" \
	"--queries mapping --mappings 65535 --device-size 2G --state-size 9MB --working-set 16M" \
	"--cost-call 1us --cost-byte 45ps --max-rounds 3 --dirty-rate 2GB/s"; do
	i=$((i + 1))
	# shellcheck disable=SC2086 # the arguments are split on purpose
	"$bin" plan $args --out "$work/$i" >/dev/null || { echo "FAIL: plan $args"; exit 1; }
done

"$py" - "$schema" "$work"/*/plan.json <<'PY'
import json, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
checker = cls.TYPE_CHECKER.redefine(
    "integer", lambda _, x: isinstance(x, int) and not isinstance(x, bool))
validator = jsonschema.validators.extend(cls, type_checker=checker)(schema)
bad = 0
for path in sys.argv[2:]:
    for e in validator.iter_errors(json.load(open(path))):
        print(f"FAIL: {path}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
        bad = 1
# The schema must refuse what it should: a float for an integer, an unknown key.
doc = json.load(open(sys.argv[2]))
doc["sizes"][0]["downtime_ns"] = 1.0
if validator.is_valid(doc):
    print("FAIL: the schema accepts 1.0 for an integer")
    bad = 1
doc = json.load(open(sys.argv[2]))
doc["sizes"][0]["surprise"] = 1
if validator.is_valid(doc):
    print("FAIL: the schema accepts an unknown key")
    bad = 1
sys.exit(bad)
PY
