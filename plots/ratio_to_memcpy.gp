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
# a figure of one or two groups keeps its bars as thick as a figure of several
pad = ngroups < 3 ? (3 - ngroups) * 0.5 : 0
set yrange [-0.6 - pad:ngroups - 0.4 + pad]
set xrange [0:xmax]
set lmargin label_chars + 3
set style fill solid 0.85 noborder
set key bottom right
# the floor
set arrow 1 from 1, graph 0 to 1, graph 1 nohead lc rgb "#444444" dt 2 lw 1.5 front
# column 4 is the bar's class: its run when there are several, else its path
plot for [c=1:nclasses] datadir."/".figure.".dat" using ($4 == c ? $2 / 2 : NaN):1:($2 / 2):3 \
		with boxxyerror lc rgb col(c) title classtitle[c], \
	datadir."/".figure.".dat" using 2:1:5 with labels left offset 0.6, 0 font font_small notitle, \
	NaN with lines lc rgb "#444444" dt 2 lw 1.5 title "memcpy floor (1x)"
