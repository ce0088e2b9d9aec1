#!/bin/sh
# SPDX-License-Identifier: MIT
# report_browser.sh DIRTYSCOPE RUNFOLDER_PY
#	report.html in headless Chromium: every figure must load and decode
#	(an <img> that is complete with a natural size, an inline <svg> with a
#	non-empty box), the page must fetch nothing (no script, no link, no
#	remote source), and a copy with one figure's data broken must be seen
#	as broken, so that the check is known to catch what it looks for.
#	Exit 77 when chromium, gnuplot or python3 is missing.
set -u
bin=$1
gen=$2
for prog in chromium gnuplot python3; do
	command -v "$prog" >/dev/null || {
		echo "report_browser.sh: skipped: no $prog (scripts/install-deps.sh installs it)" >&2
		exit 77
	}
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $1"; }
ko() {
	echo "FAIL: $1" >&2
	fail=1
}

python3 "$gen" make "$tmp/run" --seed 1 || exit 1
"$bin" plot "$tmp/run" >/dev/null || { echo "FAIL: dirtyscope plot" >&2; exit 1; }
report=$tmp/run/plots/report.html
nfig=$(ls "$tmp/run/plots"/*.svg | wc -l)

# Self-contained: nothing to fetch, nothing to run.
if grep -q -i -E '<script|<link|<iframe|src="(https?:)?//|url\((https?:)?//' "$report"; then
	ko "report.html refers to something outside itself"
else
	ok "report.html is self-contained"
fi

# The check runs in the test's copy, never in the report itself.
check='<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var broken = imgs.filter(function (i) { return !i.complete || !i.naturalWidth || !i.naturalHeight; });
  var svgs = Array.prototype.slice.call(document.querySelectorAll("svg"));
  var empty = svgs.filter(function (s) { var b = s.getBBox(); return !b.width || !b.height; });
  var p = document.createElement("pre");
  p.id = "dirtyscope-check";
  p.textContent = "CHECK images=" + imgs.length + " broken=" + broken.length + " svgs=" + svgs.length +
    " empty=" + empty.length + " tables=" + document.querySelectorAll("table").length +
    " width=" + document.documentElement.scrollWidth + " END";
  document.body.appendChild(p);
});
</script>'

# browse HTML: print the CHECK line chromium computed
browse() {
	ud=$(mktemp -d)
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --no-first-run --user-data-dir="$ud" \
		--window-size=1300,1000 --virtual-time-budget=15000 --dump-dom "file://$1" \
		2>"$tmp/chromium.err" | grep -o 'CHECK .* END'
	rm -rf "$ud"
}

# with_check IN OUT: the report with the check before </body>
with_check() {
	python3 -c 'import sys
s = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(s.replace("</body>", sys.argv[3] + "</body>"))' "$1" "$2" "$check"
}

with_check "$report" "$tmp/check.html"
line=$(browse "$tmp/check.html")
echo "chromium: $line"
case $line in
"CHECK images=$nfig broken=0 svgs=0 empty=0 "*) ok "all $nfig figures loaded and decoded" ;;
"") ko "chromium printed no result (see $tmp/chromium.err)"; cat "$tmp/chromium.err" >&2 ;;
*) ko "figures did not all render: $line" ;;
esac
width=$(echo "$line" | sed -n 's/.*width=\([0-9]*\).*/\1/p')
[ -n "$width" ] && [ "$width" -le 1300 ] && ok "no horizontal overflow (page width $width)" ||
	ko "the page is wider than the window ($width)"

# Two runs: the comparison table too must fit the window.
python3 "$gen" slow "$tmp/run" "$tmp/run2" 1.3 || exit 1
rm -rf "$tmp/run2/plots"
"$bin" plot --label base,new --out "$tmp/two" "$tmp/run" "$tmp/run2" >/dev/null ||
	{ echo "FAIL: dirtyscope plot of two runs" >&2; exit 1; }
with_check "$tmp/two/report.html" "$tmp/check2.html"
line=$(browse "$tmp/check2.html")
echo "chromium, two runs: $line"
case $line in
"CHECK images=$nfig broken=0 svgs=0 empty=0 "*) ok "two runs: all $nfig figures loaded and decoded" ;;
*) ko "two runs: figures did not all render: $line" ;;
esac
width=$(echo "$line" | sed -n 's/.*width=\([0-9]*\).*/\1/p')
[ -n "$width" ] && [ "$width" -le 1300 ] && ok "two runs: no horizontal overflow (page width $width)" ||
	ko "two runs: the page is wider than the window ($width)"

# Negative control: one figure's data cut in half must show as broken.
python3 -c 'import sys, re
s = open(sys.argv[1]).read()
m = re.search(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", s)
b = m.group(1)
s = s.replace(b, b[: len(b) // 2], 1)
open(sys.argv[2], "w").write(s)' "$tmp/check.html" "$tmp/broken.html"
line=$(browse "$tmp/broken.html")
case $line in
*" broken=1 "*) ok "a figure with broken data is seen as broken ($line)" ;;
*) ko "the check missed a broken figure: $line" ;;
esac

[ "$fail" -eq 0 ] && echo "report_browser.sh: all passed"
exit "$fail"
