# SPDX-License-Identifier: MIT
# harvest_vs_size.gp - figure 1: GET_BITMAP time per call against device
# size, log-log, one line per harvest, layout, request kind and path (and
# run), with the memcpy floor of the same bitmap bytes.
# Data: harvest_vs_size.dat, one block per series: size (GiB), median (µs),
# p90 (µs); harvest_vs_size.floor.dat, one block per request kind: size,
# memcpy median (µs); harvest_vs_size.vars.gp: titles, colours, dashes.
if (!exists("datadir")) datadir = "."
figure = "harvest_vs_size"
load datadir."/".figure.".vars.gp"
load datadir."/common.gp"

set title "GET_BITMAP time per call against device size (median of the steady iterations)"
set xlabel "device size (log scale)"
set ylabel "time per call (µs, log scale)"
set logscale x 2
set logscale y 10
set format y "%g"
set xrange [xmin:xmax]
set yrange [ymin:ymax]
eval "set xtics ".xticlist
if (strlen(yticlist)) { eval "set ytics ".yticlist }
set key outside right top vertical font font_small
# a floor is grey: dashed for the first run, dotted for the others
fdt(i) = fdash[i] == 1 ? 2 : 3
plot for [i=1:n] datadir."/".figure.".dat" index (i-1) using 1:2 \
		with linespoints lw 2 pt ptype(color[i]) ps 1.4*pscale dt dash[i] lc rgb col(color[i]) title title[i], \
	for [i=1:fn] datadir."/".figure.".floor.dat" index (i-1) using 1:2 \
		with linespoints lw 1.5 pt 6 ps pscale dt fdt(i) lc rgb "#777777" title ftitle[i]
