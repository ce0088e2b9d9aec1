# SPDX-License-Identifier: MIT
# latency_cdf.gp - figure 4: the distribution of GET_BITMAP latency over
# the steady iterations, one empirical CDF per harvest, device, request
# kind and path (and run), on a log time axis.
# Data: latency_cdf.dat, one block per series: time (µs), fraction of the
# calls at or below it.
if (!exists("datadir")) datadir = "."
figure = "latency_cdf"
load datadir."/".figure.".vars.gp"
load datadir."/common.gp"

set title "GET_BITMAP latency distribution (steady iterations)"
set xlabel "time per call (µs, log scale)"
set ylabel "fraction of calls at or below"
set logscale x 10
set format x "%g"
set xrange [xmin:xmax]
if (strlen(xticlist)) { eval "set xtics ".xticlist }
set yrange [0:1.02]
set ytics 0, 0.1, 1
set key outside right top vertical font font_small
plot for [i=1:n] datadir."/".figure.".dat" index (i-1) using 1:2 \
	with steps lw 2 dt dash[i] lc rgb col(color[i]) title title[i]
