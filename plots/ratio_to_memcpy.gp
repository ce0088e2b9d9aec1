# SPDX-License-Identifier: MIT
# ratio_to_memcpy.gp - figure 2: each harvest row's median time over the
# median time of a memcpy of the same bitmap bytes (1 = the floor), as
# horizontal bars, one group per row, one bar per run.
# Data: ratio_to_memcpy.dat: y, ratio, half bar height, run, "label".
if (!exists("datadir")) datadir = "."
figure = "ratio_to_memcpy"
load datadir."/".figure.".vars.gp"
load datadir."/common.gp"

set title "Cost of each harvest call in memcpys of the same bitmap bytes (steady iterations)"
set xlabel "median call time / median memcpy time (x, 1 = the memcpy floor)"
eval "set ytics ".ytics
set ytics scale 0
set grid noytics
set yrange [-0.6:ngroups - 0.4]
set xrange [0:xmax]
set lmargin 42
set style fill solid 0.85 noborder
set key bottom right
# the floor
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lc rgb "#444444" dt 2 lw 1.5 front
plot for [r=1:nruns] datadir."/".figure.".dat" using ($4 == r ? $2 / 2 : NaN):1:($2 / 2):3 \
		with boxxyerror lc rgb col(r) title runtitle[r], \
	datadir."/".figure.".dat" using 2:1:5 with labels left offset 0.6, 0 font font_small notitle, \
	NaN with lines lc rgb "#444444" dt 2 lw 1.5 title "memcpy floor (1x)"
