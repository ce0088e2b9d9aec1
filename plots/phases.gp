# SPDX-License-Identifier: MIT
# phases.gp - figure 3: the profiler view, one horizontal bar per request
# kind and path, stacked by the harvest's phases (whatever phases the run
# named: none is hard-coded), as shares of the profiled time, with the
# mean time per request at the end of each bar.
# Data: phases.dat: index, "per request", then for each phase its start
# and end (% of the bar); phases.vars.gp: the phase names.
if (!exists("datadir")) datadir = "."
figure = "phases"
load datadir."/".figure.".vars.gp"
load datadir."/common.gp"

set title "Where a harvest spends its time: share of each phase (profiled iterations)"
set xlabel "share of the profiled harvest time (%)"
eval "set ytics ".ytics
set ytics scale 0
set grid noytics
# a figure of one or two groups keeps its bars as thick as a figure of several
pad = ngroups < 3 ? (3 - ngroups) * 0.5 : 0
set yrange [-0.6 - pad:ngroups - 0.4 + pad]
set xrange [0:122]
set xtics 0, 20, 100
set lmargin label_chars + 3
set style fill solid 0.9 noborder
set key outside right top vertical
y(i) = ngroups - 1 - i
plot for [p=1:nphases] datadir."/".figure.".dat" \
		using ((column(1 + 2*p) + column(2 + 2*p)) / 2):(y($1)):((column(2 + 2*p) - column(1 + 2*p)) / 2):(0.35) \
		with boxxyerror lc rgb col(p) title phase[p], \
	datadir."/".figure.".dat" using (101):(y($1)):2 with labels left font font_small notitle
