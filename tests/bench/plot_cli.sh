#!/bin/sh
# SPDX-License-Identifier: MIT
# plot_cli.sh DIRTYSCOPE RUNFOLDER_PY
#	`dirtyscope plot` end to end on synthetic run folders: every figure the
#	data feeds is written as a PNG (its signature, a real size) and an SVG
#	(well-formed XML whose root is <svg>), with report.html; figures the
#	data cannot feed are absent (and removed when left by an earlier plot);
#	two runs give one comparing set; bad input (a missing or half-written
#	folder, a CSV without a column, gnuplot missing, nothing to draw) is one
#	line and exit 2 with nothing written; a gnuplot that fails or writes
#	half a file leaves no figure under its name (exit 1).
#	Exit 77 without python3 or gnuplot.
set -u
bin=$1
gen=$2
py=$(command -v python3) || { echo "plot_cli.sh: skipped: no python3" >&2; exit 77; }
command -v gnuplot >/dev/null || {
	echo "plot_cli.sh: skipped: no gnuplot (apt-get install gnuplot-nox)" >&2
	exit 77
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $1"; }
ko() {
	echo "FAIL: $1" >&2
	[ -s "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err" >&2
	fail=1
}

all="harvest_vs_size ratio_to_memcpy phases latency_cdf downtime viommu"

# check_figures DIR NAMES...: each NAME.png and NAME.svg whole in DIR
check_figures() {
	dir=$1
	shift
	for name in "$@"; do
		png=$dir/$name.png svg=$dir/$name.svg
		if [ ! -f "$png" ] || [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" != 89504e470d0a1a0a ] ||
			[ "$(wc -c <"$png")" -lt 10000 ]; then
			ko "$png: not a whole PNG"
			continue
		fi
		if ! "$py" -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
assert r.tag.endswith("svg"), r.tag
assert len(list(r.iter())) > 50' "$svg" 2>"$tmp/err"; then
			ko "$svg: not well-formed SVG"
			continue
		fi
	done
	ok "$dir: $* (PNG and SVG, whole)"
}

# refused WHAT MESSAGE ARGS...: exit 2, one line naming MESSAGE, no output folder
refused() {
	what=$1 msg=$2
	shift 2
	"$bin" plot --out "$tmp/refused" "$@" >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ "$st" -ne 2 ]; then
		ko "$what: exit $st, expected 2"
	elif ! grep -q -- "$msg" "$tmp/err" || [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		ko "$what: not one line naming '$msg'"
	elif [ -e "$tmp/refused" ]; then
		ko "$what: wrote $tmp/refused anyway"
	else
		ok "$what: refused ($(cat "$tmp/err"))"
	fi
}

"$py" "$gen" make "$tmp/a" --seed 1 || exit 1
"$py" "$gen" slow "$tmp/a" "$tmp/b" 1.3 || exit 1

"$bin" plot "$tmp/a" >"$tmp/out" 2>"$tmp/err" && ok "plot one run" || ko "plot one run: exit $?"
# shellcheck disable=SC2086 # a list of names
check_figures "$tmp/a/plots" $all
[ -s "$tmp/a/plots/report.html" ] && ok "report.html written" || ko "no report.html"
find "$tmp/a" -name '*.tmp.*' | grep -q . && ko "temporary files left" || ok "no temporary file left"
for f in harvest_vs_size.dat harvest_vs_size.gp common.gp downtime.share.dat; do
	[ -s "$tmp/a/plots/data/$f" ] || ko "data/$f missing"
done
# the data and scripts left in data/ redraw a figure by hand
(cd "$tmp" && gnuplot -e "datadir='$tmp/a/plots/data'; term='svg'; outfile='$tmp/byhand.svg'" \
	"$tmp/a/plots/data/phases.gp" 2>"$tmp/err") && [ -s "$tmp/byhand.svg" ] &&
	ok "a figure redrawn by hand from data/" || ko "redrawing by hand"

# Two runs: one set of figures comparing them, and the comparison in the report.
"$bin" plot --label base,new "$tmp/a" "$tmp/b" >"$tmp/out" 2>"$tmp/err" && ok "plot two runs" ||
	ko "plot two runs"
# shellcheck disable=SC2086
check_figures "$tmp/a/plots/vs-b" $all
grep -q 'id="compare"' "$tmp/a/plots/vs-b/report.html" && grep -q 'class="slower"' "$tmp/a/plots/vs-b/report.html" &&
	ok "the report of two runs compares them" || ko "no comparison in the report of two runs"
grep -q '"base: reference uniform:8 merged (aligned)"' "$tmp/a/plots/vs-b/data/harvest_vs_size.vars.gp" &&
	ok "legends name the runs" || ko "legends do not name the runs"

# Figures the data cannot feed are not drawn, and an earlier plot's are removed.
"$py" "$gen" make "$tmp/c" --seed 1 --no-phases --no-downtime || exit 1
"$bin" plot --out "$tmp/a/plots" "$tmp/c" >"$tmp/out" 2>"$tmp/err" || ko "plot without phases"
for name in phases downtime; do
	[ -e "$tmp/a/plots/$name.png" ] || [ -e "$tmp/a/plots/$name.svg" ] &&
		ko "$name: drawn (or left) without data"
done
# shellcheck disable=SC2086
check_figures "$tmp/a/plots" harvest_vs_size ratio_to_memcpy latency_cdf viommu
grep -q 'phases.svg' "$tmp/a/plots/report.html" && ko "the report shows a figure without data" ||
	ok "the report shows only figures with data"

# Bad input.
refused "a missing folder" "$tmp/nope: " "$tmp/nope"
"$py" "$gen" make "$tmp/running" --status running || exit 1
refused "a half-written folder (running)" "status: running" "$tmp/running"
cp -r "$tmp/a" "$tmp/nocol" && rm -rf "$tmp/nocol/plots"
sed -i '1s/,memcpy_ns//' "$tmp/nocol/samples.csv"
refused "a CSV without a column" "samples.csv: line 1: column 'memcpy_ns' missing" "$tmp/nocol"
refused "gnuplot missing (--gnuplot)" "apt-get install gnuplot-nox" --gnuplot "$tmp/no/gnuplot" "$tmp/a"
mkdir -p "$tmp/emptypath"
PATH=$tmp/emptypath "$bin" plot --out "$tmp/refused" "$tmp/a" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "gnuplot not found" "$tmp/err" && [ ! -e "$tmp/refused" ] &&
	ok "gnuplot missing from PATH: refused" || ko "gnuplot missing from PATH"
"$py" "$gen" make "$tmp/nothing" --steady 0 --no-phases --no-downtime || exit 1
refused "nothing to draw" "nothing to draw" "$tmp/nothing"
refused "an unknown option" "unknown option" --frobnicate "$tmp/a"
refused "labels that do not match" "--label names 1 runs" --label x "$tmp/a" "$tmp/b"

# A gnuplot that fails, or that says it succeeded but wrote half a file.
for kind in fails truncates; do
	fake=$tmp/gnuplot-$kind
	cat >"$fake" <<EOS
#!/bin/sh
out=\$(printf '%s\n' "\$2" | sed -n "s/.*outfile='\\([^']*\\)'.*/\\1/p")
printf '\211PNG\r\n' >"\$out"
echo "\"x.gp\" line 3: something went wrong" >&2
[ $kind = fails ] && exit 1
exit 0
EOS
	chmod +x "$fake"
	rm -rf "$tmp/broken"
	"$bin" plot --gnuplot "$fake" --out "$tmp/broken" "$tmp/a" >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ "$st" -ne 1 ]; then
		ko "gnuplot that $kind: exit $st, expected 1"
	elif ls "$tmp/broken" | grep -q -E '\.(png|svg|html)$'; then
		ko "gnuplot that $kind: a figure or report left under a good name: $(ls "$tmp/broken")"
	elif ls "$tmp/broken" | grep -q '\.tmp\.'; then
		ko "gnuplot that $kind: a temporary file left"
	else
		ok "gnuplot that $kind: exit 1, nothing under a good name ($(head -1 "$tmp/err"))"
	fi
done

# A migrate folder (a real migration of 4 MiB): its two kinds of figure,
# alone; one without a finished migration is nothing to draw.
if "$bin" migrate --device-size 4M,8M --bandwidth 1Gbit/s --dirty-rate 1MB/s \
	--out "$tmp/mig" >/dev/null 2>"$tmp/err"; then
	"$bin" plot "$tmp/mig" >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ "$st" -ne 0 ]; then
		ko "migrate folder: exit $st"
	elif check_figures "$tmp/mig/plots" migrate-downtime migrate-rounds-0 migrate-rounds-1 &&
		[ ! -e "$tmp/mig/plots/report.html" ]; then
		ok "migrate folder: migrate-downtime and one migrate-rounds per migration"
	else
		ko "migrate folder: figures: $(ls "$tmp/mig/plots")"
	fi
	"$bin" plot "$tmp/mig" "$tmp/a" >"$tmp/out" 2>"$tmp/err"
	st=$?
	[ "$st" -eq 2 ] && grep -q "plotted alone" "$tmp/err" &&
		ok "a migrate folder with a run folder: exit 2" || ko "migrate with a run folder: exit $st"
	mkdir -p "$tmp/mig0"
	cp "$tmp/mig/meta.json" "$tmp/mig0/"
	head -1 "$tmp/mig/migrations.csv" >"$tmp/mig0/migrations.csv"
	head -1 "$tmp/mig/rounds.csv" >"$tmp/mig0/rounds.csv"
	"$bin" plot "$tmp/mig0" >"$tmp/out" 2>"$tmp/err"
	st=$?
	[ "$st" -eq 2 ] && grep -q "nothing to draw" "$tmp/err" && [ ! -d "$tmp/mig0/plots" ] &&
		ok "a migrate folder without a migration: exit 2, nothing written" ||
		ko "migrate folder without a migration: exit $st"
else
	ko "dirtyscope migrate failed"
fi

"$bin" plot --help >"$tmp/out" && grep -q -- "--gnuplot PATH" "$tmp/out" && grep -q -- "--out DIR" "$tmp/out" &&
	ok "--help lists the options" || ko "--help"

[ "$fail" -eq 0 ] && echo "plot_cli.sh: all passed"
exit "$fail"
