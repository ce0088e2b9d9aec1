# SPDX-License-Identifier: MIT
# migrate-downtime.gp - predicted against measured downtime, one point per
# migration: left, what `dirtyscope plan` predicted for the same inputs;
# right, what QEMU's expected_downtime said at the switchover. On the
# diagonal the prediction is exact; the grey band is a factor of 2. Each
# series (backend and write pattern) has its colour; converged migrations
# are filled, forced ones (--max-rounds) open.
#
#   gnuplot -e "sweep='OUT/sweep.csv'" plots/migrate-downtime.gp
#   gnuplot -e "sweep='RUN/migrations.csv'; outfile='d.png'" plots/migrate-downtime.gp
# sweep: scripts/migrate-sweep.sh's sweep.csv (a series column before the
# columns of migrations.csv), or one run folder's migrations.csv (one
# series); outfile [migrate-downtime.png]; term: png or svg [png].
if (!exists("sweep")) { print "migrate-downtime.gp: set sweep='OUT/sweep.csv' (-e)"; exit status 2 }
if (!exists("term")) term = "png"
if (!exists("outfile")) outfile = "migrate-downtime.".term

if (term eq "svg") {
	set terminal svg size 1400,700 dynamic noenhanced font "DejaVu Sans,14" background rgb "white"
} else {
	set terminal pngcairo size 1400,700 noenhanced font "DejaVu Sans,11" background rgb "white"
}
set output outfile
set datafile separator ","
set datafile columnheaders
set datafile missing ""

array palette[6] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
set border 3 lc rgb "#444444"
set tics nomirror out
set grid xtics ytics lc rgb "#e4e4e4"
set key top left opaque box lc rgb "#cccccc"
set logscale xy
set format x "%g"
set format y "%g"
set size ratio -1

# The series, in the order they first appear (a migrations.csv has none: one series).
has_series = system(sprintf("head -1 '%s' | cut -d, -f1", sweep)) eq "series"
names = has_series ? system(sprintf("tail -n +2 '%s' | cut -d, -f1 | awk '!seen[$0]++' | tr '\\n' '|'", sweep)) : "migrations|"
nseries = int(system(sprintf("echo '%s' | tr '|' '\\n' | grep -c .", names)))
series(i) = system(sprintf("echo '%s' | cut -d'|' -f%d", names, i))
in_series(i) = !has_series || strcol("series") eq series(i)
ms(c) = column(c) / 1e6
converged(i) = in_series(i) && strcol("outcome") eq "converged"
forced(i) = in_series(i) && strcol("outcome") eq "forced"

# The range: every measured and predicted downtime, with a margin.
stats sweep using (ms("measured_downtime_ns")) nooutput
lo = STATS_min; hi = STATS_max
stats sweep using (ms("plan_downtime_ns")) nooutput
lo = STATS_min < lo ? STATS_min : lo; hi = STATS_max > hi ? STATS_max : hi
stats sweep using (ms("qemu_expected_downtime_ns")) nooutput
lo = STATS_min < lo ? STATS_min : lo; hi = STATS_max > hi ? STATS_max : hi
lo = lo / 1.5; hi = hi * 1.5
set xrange [lo:hi]
set yrange [lo:hi]
set xlabel "measured downtime (ms): pause to the destination's resume"
# With columnheaders on, the first sample of '+' is taken for a header: many samples.
set samples 50
set xtics (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)
set ytics (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)

set multiplot layout 1,2 title "dirtyscope migrate: predicted against measured downtime (filled: converged, open: forced at --max-rounds)"
set ylabel "predicted by dirtyscope plan (ms)"
plot '+' using 1:($1 / 2):($1 * 2) with filledcurves lc rgb "#eeeeee" title "within a factor of 2", \
     x with lines lc rgb "#444444" dt 2 title "exact", \
     for [i=1:nseries] sweep using (converged(i) ? ms("measured_downtime_ns") : NaN):(ms("plan_downtime_ns")) \
	with points pt 7 ps 1.4 lc rgb palette[(i - 1) % 6 + 1] title series(i), \
     for [i=1:nseries] sweep using (forced(i) ? ms("measured_downtime_ns") : NaN):(ms("plan_downtime_ns")) \
	with points pt 6 ps 1.4 lw 2 lc rgb palette[(i - 1) % 6 + 1] notitle

set ylabel "QEMU's expected_downtime at the switchover (ms)"
plot '+' using 1:($1 / 2):($1 * 2) with filledcurves lc rgb "#eeeeee" notitle, \
     x with lines lc rgb "#444444" dt 2 notitle, \
     for [i=1:nseries] sweep using (converged(i) ? ms("measured_downtime_ns") : NaN):(ms("qemu_expected_downtime_ns")) \
	with points pt 7 ps 1.4 lc rgb palette[(i - 1) % 6 + 1] title series(i), \
     for [i=1:nseries] sweep using (forced(i) ? ms("measured_downtime_ns") : NaN):(ms("qemu_expected_downtime_ns")) \
	with points pt 6 ps 1.4 lw 2 lc rgb palette[(i - 1) % 6 + 1] notitle
unset multiplot
