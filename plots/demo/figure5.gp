# figure5.gp: written by asym's report stage from Report's frame.gp template.
# Re-render by hand with `gnuplot figure5.gp` in this folder: it reads
# figure5.dat and writes figure5.png (pngcairo) and figure5.svg.
datafile = 'figure5.dat'
# style.gp: the look shared by every Asym figure (Report's template).
# Line colours: Okabe & Ito's colour-blind-safe palette.
set linetype 1 lc rgb '#0072B2' lw 2 pt 7 ps 0.6
set linetype 2 lc rgb '#D55E00' lw 2 pt 5 ps 0.6
set linetype 3 lc rgb '#009E73' lw 2 pt 9 ps 0.6
set linetype 4 lc rgb '#CC79A7' lw 2 pt 11 ps 0.6
set linetype 5 lc rgb '#E69F00' lw 2 pt 13 ps 0.6
set linetype 6 lc rgb '#56B4E9' lw 2 pt 3 ps 0.6
set linetype 7 lc rgb '#000000' lw 2 pt 1 ps 0.6
set linetype 8 lc rgb '#F0E442' lw 2 pt 2 ps 0.6
set linetype cycle 8
# The ideal policy a = o of Figure 1 (the paper's green dotted line).
set style line 100 lc rgb '#009E73' lw 2 dt 3
# The STM32F722's flash budget of Figure 5.
set style line 101 lc rgb '#C00000' lw 2 dt 2
set grid back lc rgb '#DDDDDD' lw 1
set border 3 lc rgb '#444444'
set tics nomirror out scale 0.6
set key top left Left reverse noopaque samplen 2 spacing 1.1 font ',11'
set style fill transparent solid 0.18 noborder

do for [format in "png svg"] {
    if (format eq "png") {
        set terminal pngcairo size 900,460 enhanced font 'Sans,12' linewidth 1.5
        set output 'figure5.png'
    } else {
        set terminal svg size 900,460 enhanced font 'Sans,12' linewidth 1.5 background rgb 'white'
        set output 'figure5.svg'
    }
    # inference.gp (Report's template): Figure 5, measured inference rate and
    # modelled flash footprint per network size.
    set multiplot layout 1,2 title "Actor size against inference rate and memory" font ',14'
    set title 'measured: forward passes per second on this host'
    set xlabel 'actor hidden sizes'
    set ylabel 'inference rate (Hz, log scale)'
    set logscale y
    set format y '10^{%L}'
    set xrange [-0.5:9.5]
    set yrange [100.0:100000000.0]
    set xtics rotate by -45 left
    set key top right
    plot datafile index 0 using 1:4:5:6:xtic(2) with yerrorlines lt 1 title 'measured (median, min-max)', \
         1000.0 with lines ls 101 title 'paper: 1 kHz PID loop rate', \
         datafile index 0 using 1:8 with points lt 2 pt 9 ps 1.6 title 'paper: STM32F722 (text, §5)'
    set title 'modelled: flash for the exported float32 actor'
    set ylabel 'flash (kB, log scale)'
    set format y '%g'
    set key top left
    set style fill solid 0.8 border -1
    set boxwidth 0.7
    set yrange [0.01:10000.0]
    plot datafile index 0 using 1:7:xtic(2) with boxes lt 6 title '4 bytes per weight, code not counted', \
         181.0 with lines ls 101 title 'STM32F722 budget: 181 kB'

    unset multiplot

    set output
}
