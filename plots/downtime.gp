# SPDX-License-Identifier: MIT
# downtime.gp - figure 5: stop-and-copy downtime against device size, one
# line per link bandwidth (the run's and 10, 25, 100 Gbit/s), the worst
# layout and query measured at each size; the downtime limit as a
# horizontal line; the part that is the final GET_BITMAP (tracking) as its
# own line, and its share of the run's estimate written at each point.
# Data: downtime.dat (size GiB, downtime ms, of which tracking ms),
# downtime.tracking.dat (size, tracking ms, share), downtime.share.dat
# (size, downtime ms at the run's bandwidth, "share %").
if (!exists("datadir")) datadir = "."
figure = "downtime"
load datadir."/".figure.".vars.gp"
load datadir."/common.gp"

set title "Stop-and-copy downtime against device size, per link bandwidth\n(at each size the worst layout and query the run measured)"
set xlabel "device size (log scale)"
set ylabel "downtime (ms, log scale)"
set logscale x 2
set logscale y 10
set format y "%g"
set xrange [xmin:xmax]
set yrange [ymin:ymax]
eval "set xtics ".xticlist
if (strlen(yticlist)) { eval "set ytics ".yticlist }
set key outside right top vertical
# what the numbers over the points are: below the lines, where the figure is empty
set label 30 share_title at graph 0.98, graph 0.04 right font font_small tc rgb "#333333"
do for [l=1:nlimits] {
	set arrow l from graph 0, first limit[l] to graph 1, first limit[l] nohead lc rgb "#B00000" lw 2 dt 1 front
	set label 10 + l sprintf("downtime limit %g ms", limit[l]) at graph 0.99, first limit[l] offset 0, 0.8 right tc rgb "#B00000"
}
plot for [i=1:n] datadir."/".figure.".dat" index (i-1) using 1:2 \
		with linespoints lw 2 pt ptype(color[i]) ps 1.3*pscale dt dash[i] lc rgb col(color[i]) title title[i], \
	for [i=1:tn] datadir."/".figure.".tracking.dat" index (i-1) using 1:2 \
		with linespoints lw 2 pt 5 ps pscale dt tdash[i] lc rgb "#333333" title ttitle[i], \
	datadir."/".figure.".share.dat" using 1:2:3 with labels offset 0, 1.2 font font_small tc rgb "#333333" \
		notitle
