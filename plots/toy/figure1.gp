# figure1.gp: written by asym's report stage from Report's frame.gp template.
# Re-render by hand with `gnuplot figure1.gp` in this folder: it reads
# figure1.dat and writes figure1.png (pngcairo) and figure1.svg.
datafile = 'figure1.dat'
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
        set terminal pngcairo size 860,1050 enhanced font 'Sans,12' linewidth 1.5
        set output 'figure1.png'
    } else {
        set terminal svg size 860,1050 enhanced font 'Sans,12' linewidth 1.5 background rgb 'white'
        set output 'figure1.svg'
    }
    # toy-policy.gp (Report's template): Figure 1, the toy problem's state
    # transitions (left) and state-action pairs against a = o (right), a row per size.
    set multiplot layout 3,2 title "Toy tracking problem: learned control by actor [a] and critic [c] size\n" font ',14'
    set title "DDPG [a] [1]  [c] [1]"
    set xlabel 'time step'
    set ylabel 'position (s and g, unitless)'
    set yrange [*:*]
    set xrange [*:*]
    set xtics 0, 50.0
    set key tmargin center horizontal
    plot datafile index 0 using 1:3 with lines lt 7 dt 2 lw 1.5 title 'goal g', \
         datafile index 0 using 1:2 with lines lt 1 title 'state s'
    set title 'state-action pairs'
    set xlabel 'observation o = g - s (unitless)'
    set ylabel 'action a (unitless)'
    set xrange [*:*]
    set xtics autofreq
    set yrange [-1.1:1.1]
    set key tmargin center horizontal
    plot datafile index 0 using 4:5 with points lt 2 pt 7 ps 0.5 title 'learned (o, a)', \
         x with lines ls 100 title 'ideal a = o'
    set title "DDPG [a] [1]  [c] [16,16,1]"
    set xlabel 'time step'
    set ylabel 'position (s and g, unitless)'
    set yrange [*:*]
    set xrange [*:*]
    set xtics 0, 50.0
    unset key
    plot datafile index 1 using 1:3 with lines lt 7 dt 2 lw 1.5 title 'goal g', \
         datafile index 1 using 1:2 with lines lt 1 title 'state s'
    set title 'state-action pairs'
    set xlabel 'observation o = g - s (unitless)'
    set ylabel 'action a (unitless)'
    set xrange [*:*]
    set xtics autofreq
    set yrange [-1.1:1.1]
    unset key
    plot datafile index 1 using 4:5 with points lt 2 pt 7 ps 0.5 title 'learned (o, a)', \
         x with lines ls 100 title 'ideal a = o'
    set title "DDPG [a] [16,16,1]  [c] [16,16,1]"
    set xlabel 'time step'
    set ylabel 'position (s and g, unitless)'
    set yrange [*:*]
    set xrange [*:*]
    set xtics 0, 50.0
    unset key
    plot datafile index 2 using 1:3 with lines lt 7 dt 2 lw 1.5 title 'goal g', \
         datafile index 2 using 1:2 with lines lt 1 title 'state s'
    set title 'state-action pairs'
    set xlabel 'observation o = g - s (unitless)'
    set ylabel 'action a (unitless)'
    set xrange [*:*]
    set xtics autofreq
    set yrange [-1.1:1.1]
    unset key
    plot datafile index 2 using 4:5 with points lt 2 pt 7 ps 0.5 title 'learned (o, a)', \
         x with lines ls 100 title 'ideal a = o'

    unset multiplot

    set output
}
