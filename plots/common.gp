# SPDX-License-Identifier: MIT
# common.gp - what every figure of dirtyscope shares: the terminal (PNG or
# SVG), the colours, the caption naming what ran where. Each figure script
# loads its NAME.vars.gp (series, ranges, caption), then this file.
#
# dirtyscope plot sets datadir, term and outfile; by hand, after a
# `dirtyscope plot RUN` has written RUN/plots/data/:
#   gnuplot -e "datadir='RUN/plots/data'; term='svg'; outfile='x.svg'" plots/harvest_vs_size.gp
if (!exists("term")) term = "png"
if (!exists("outfile")) outfile = figure.".".term

# 1200 x 760: legible on a slide, and in the report at its width; bar
# charts of many rows grow taller (fig_height, from NAME.vars.gp).
if (!exists("fig_height")) fig_height = 760
if (term eq "svg") {
	set terminal svg size 1200,fig_height dynamic noenhanced font "DejaVu Sans,15" background rgb "white"
	font_small = ",12"; font_title = ",18"
	# svg scales points with its larger font: bring them back to the PNG's size
	pscale = 0.7
} else {
	set terminal pngcairo size 1200,fig_height noenhanced font "DejaVu Sans,11" background rgb "white"
	font_small = ",9"; font_title = ",14"
	pscale = 1
}
set output outfile

# Okabe-Ito colours: told apart with the common colour-vision deficiencies.
array palette[8] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"]
col(i) = palette[(i - 1) % 8 + 1]
# and a point shape per series, so that lines that coincide still show both
ptype(i) = word("7 5 9 11 13 15", (i - 1) % 6 + 1) + 0

set border 3 lc rgb "#444444"
set tics nomirror out
set grid xtics ytics lc rgb "#e4e4e4" lw 1 dt 1
set title font font_title
set key opaque box lc rgb "#cccccc" samplen 3 spacing 1.1 Left reverse

# The caption: machine, backend, harvest, layout, workload, revision (one line per run).
set label 100 caption at screen 0.01, screen (9.0 + 17 * caption_lines) / fig_height left front font font_small tc rgb "#555555"
set bmargin 4 + 1.4 * caption_lines
