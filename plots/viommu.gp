# SPDX-License-Identifier: MIT
# viommu.gp - figure 6: the time to harvest a whole device with one
# GET_BITMAP per mapping (what QEMU does behind a vIOMMU, one query per
# mapping) against one merged request over the device, per device (and
# run), on a log time axis.
# Data: viommu.dat: y, time (µs), half bar height, kind (1 per mapping,
# 2 merged), run, "label".
if (!exists("datadir")) datadir = "."
figure = "viommu"
load datadir."/".figure.".vars.gp"
load datadir."/common.gp"

set title "Harvesting a whole device: one GET_BITMAP per mapping (vIOMMU) vs one merged request"
set xlabel "time of one whole harvest (µs, log scale; median of the steady iterations)"
eval "set ytics ".ytics
set ytics scale 0
set grid noytics
# a figure of one or two groups keeps its bars as thick as a figure of several
pad = ngroups < 3 ? (3 - ngroups) * 0.5 : 0
set yrange [-0.6 - pad:ngroups - 0.4 + pad]
set logscale x 10
set format x "%g"
set xrange [xfloor:xmax]
if (strlen(xticlist)) { eval "set xtics ".xticlist }
set lmargin label_chars + 3
set style fill solid 0.85 noborder
set key bottom right
density(r) = r == 1 ? 0.85 : 0.45
kind(k) = k == 1 ? "one GET_BITMAP per mapping" : "one merged GET_BITMAP"
plot for [k=1:2] for [r=1:nruns] datadir."/".figure.".dat" \
		using (($4 == k && $5 == r) ? sqrt(xfloor * $2) : NaN):1:(xfloor):2:($1 - $3):($1 + $3) \
		with boxxyerror lc rgb col(k) fs solid density(r) \
		title (nruns > 1 ? runtitle[r].": " : "").kind(k), \
	datadir."/".figure.".dat" using 2:1:6 with labels left offset 0.6, 0 font font_small notitle
