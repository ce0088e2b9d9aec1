# SPDX-License-Identifier: MIT
# migrate-rounds.gp - one migration of a `dirtyscope migrate` run folder,
# round by round (results/migrate.md, rounds.csv):
#   top:    what each round sent, and what its harvest left pending, against
#           the switchover threshold (the measured rate x the downtime limit);
#           the last bar is the stop-and-copy;
#   bottom: each round's time: sending, and the harvest that ended it.
#
#   gnuplot -e "dir='results/runs/20261202-051500-migrate'" plots/migrate-rounds.gp
#   gnuplot -e "dir='RUN'; migration=3; outfile='m3.png'" plots/migrate-rounds.gp
# migration: the index in the sweep [0]; outfile [DIR/migrate-rounds-M.png];
# term: png or svg [png].
if (!exists("dir")) { print "migrate-rounds.gp: set dir='RUN_FOLDER' (-e)"; exit status 2 }
if (!exists("migration")) migration = 0
if (!exists("term")) term = "png"
if (!exists("outfile")) outfile = sprintf("%s/migrate-rounds-%d.%s", dir, migration, term)
rounds = dir."/rounds.csv"

if (term eq "svg") {
	set terminal svg size 1200,900 dynamic noenhanced font "DejaVu Sans,14" background rgb "white"
} else {
	set terminal pngcairo size 1200,900 noenhanced font "DejaVu Sans,11" background rgb "white"
}
set output outfile
set datafile separator ","
set datafile columnheaders
set datafile missing ""

# Okabe-Ito colours, as the other figures of dirtyscope.
blue = "#0072B2"; orange = "#D55E00"; green = "#009E73"; purple = "#CC79A7"; grey = "#999999"
set border 3 lc rgb "#444444"
set tics nomirror out
set grid ytics lc rgb "#e4e4e4"
set key top right opaque box lc rgb "#cccccc"

# This migration's rows; the stop-and-copy is drawn at its round number, labelled "stop".
mine(x) = column("migration") == migration ? x : NaN
MiB(x) = x / 1048576.0
ms(x) = x / 1e6
# This migration's rounds, for the x range; its parameters, for the title.
stats rounds using (mine(column("round"))) nooutput
if (!exists("STATS_max")) {
	print sprintf("migrate-rounds.gp: %s has no round of migration %d (a migration that failed before its first harvest, or no such migration)", rounds, migration)
	exit status 1
}
last = STATS_max
migs = dir."/migrations.csv"
stats migs using (column("migration") == migration ? column("device_bytes") : NaN) nooutput
size = STATS_max
stats migs using (column("migration") == migration ? column("bandwidth_bytes_per_s") : NaN) nooutput
bw = STATS_max
stats migs using (column("migration") == migration ? column("dirty_rate_bytes_per_s") : NaN) nooutput
rate = STATS_max
stats migs using (column("migration") == migration ? column("measured_downtime_ns") : NaN) nooutput
down = STATS_records > 0 && STATS_max == STATS_max ? sprintf(", downtime %.1f ms", STATS_max / 1e6) : ""
# Whether it reached the stop-and-copy: its round is then the last one.
stats rounds using (mine(strcol("kind") eq "stop" ? 1 : 0)) nooutput
has_stop = STATS_sum > 0

# Headroom above the tallest bar (log scale: a factor), so that the key never hides one.
stats rounds using (mine(MiB(column("bytes_sent")))) nooutput
top_mib = STATS_max * 12
stats rounds using (mine(ms(column("send_ns")))) nooutput
top_ms = STATS_max * 40

set multiplot layout 2,1 title sprintf("dirtyscope migrate: migration %d - %.0f MiB at %.0f Mbit/s, writers %.1f MB/s%s", \
	migration, size / 1048576.0, bw * 8 / 1e6, rate / 1e6, down)
set xrange [-0.6:last + 0.6]
set xlabel "round (stop: the stop-and-copy, writers paused)"
# The tics by hand: xtic() would also see the other migrations' rows.
set xtics ()
do for [r=0:int(last)] { set xtics add (sprintf("%d", r) r) }
if (has_stop) { set xtics add ("stop" last) }
set ylabel "MiB"
set logscale y
set yrange [*:top_mib]
set style fill solid 0.7 border -1
set boxwidth 0.6
plot rounds using (mine(column("round"))):(MiB(column("bytes_sent"))) \
	with boxes lc rgb blue title "sent in the round", \
     "" using (mine(strcol("kind") eq "stop" ? NaN : column("round"))):(column("pending_bytes") > 0 ? MiB(column("pending_bytes")) : NaN) \
	with linespoints lw 2 pt 7 lc rgb orange title "pending after its harvest", \
     "" using (mine(strcol("kind") eq "stop" ? NaN : column("round"))):(MiB(column("threshold_bytes"))) \
	with linespoints lw 2 dt 2 pt 0 lc rgb green title "switchover threshold (measured rate x limit)"

set ylabel "time (ms)"
set yrange [*:top_ms]
set style histogram clustered gap 1
set boxwidth 0.3
plot rounds using (mine(column("round")) - 0.16):(ms(column("send_ns"))) \
	with boxes lc rgb blue title "sending (the stop-and-copy: pages and state)", \
     "" using (mine(column("round")) + 0.16):(column("harvest_ns") > 0 ? ms(column("harvest_ns")) : NaN) \
	with boxes lc rgb purple title "the harvest that ends it"
unset multiplot
