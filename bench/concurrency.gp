# bench/concurrency.gp - the chart of docs/benchmarks.md: GET /products (100
# rows) req/s and p99 against connections, with mariadb-slap's rate for the
# same SELECT. Called by bench/run.sh:
#   gnuplot -e "datafile='...'; outfile='docs/bench-concurrency.png'" bench/concurrency.gp
# datafile columns: connections, server req/s, server p99 ms, mariadb-slap q/s,
# connections never served (waiting for a worker thread the whole run).
set terminal pngcairo size 1000,600 font "DejaVu Sans,11"
set output outfile
if (!exists("runs")) runs = 3
set title sprintf("GET /products (100 rows) against connections (wrk, median of %d; loopback, 2 cores)", runs)
set xlabel "connections (wrk -c)"
set logscale x 2
set xrange [0.8:80]
set xtics ("1" 1, "4" 4, "16" 16, "64" 64)
set ylabel "requests or queries per second"
set yrange [0:*]
set offsets 0, 0, graph 0.15, 0
set format y "%.0f"
set y2label "p99 latency (ms)"
set logscale y2 10
set y2tics
set ytics nomirror
set grid xtics ytics
set key top left box opaque
set style line 1 lc rgb "#1f77b4" lw 2 pt 7 ps 1.3
set style line 2 lc rgb "#7f7f7f" lw 2 pt 5 ps 1.2 dt 2
set style line 3 lc rgb "#d62728" lw 2 pt 9 ps 1.4
plot datafile using 1:2 axes x1y1 with linespoints ls 1 title "server req/s", \
     datafile using 1:4 axes x1y1 with linespoints ls 2 title "mariadb-slap q/s (same SELECT, database alone)", \
     datafile using 1:3 axes x1y2 with linespoints ls 3 title "server p99 ms (right axis)", \
     datafile using 1:3:(sprintf("%.1f ms", $3)) axes x1y2 with labels offset 0,1.2 tc rgb "#d62728" notitle, \
     datafile using 1:2:($5 > 0 ? sprintf("%d of %d connections\nnever served", $5, $1) : "") \
       axes x1y1 with labels offset -2,-2.2 tc rgb "#1f77b4" notitle
