# figure3.gp: written by asym's report stage from Report's frame.gp template.
# Re-render by hand with `gnuplot figure3.gp` in this folder: it reads
# figure3.dat and writes figure3.png (pngcairo) and figure3.svg.
datafile = 'figure3.dat'
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
        set terminal pngcairo size 860,390 enhanced font 'Sans,12' linewidth 1.5
        set output 'figure3.png'
    } else {
        set terminal svg size 860,390 enhanced font 'Sans,12' linewidth 1.5 background rgb 'white'
        set output 'figure3.svg'
    }
    # bars.gp (Report's template): grouped bars, one group per category, with
    # ± std error bars where the data has them.
    set style data histogram
    set style histogram errorbars gap 1.5 lw 1.2
    set style fill solid 0.85 border -1
    set boxwidth 0.9 relative
    set multiplot layout 1,2 title "Smallest symmetric vs asymmetric actors" font ',14'
    set title "Acrobot-v1: actor sizes"
    set xlabel 'algorithm'
    set ylabel 'actor size (% of baseline weights, log)'
    set logscale y
    set yrange [1.0:200]
    set format y '%g'
    set key inside top right
    plot datafile index 0 using 2:(0):xtic(1) title 'symmetric' lt 1, \
         datafile index 0 using 4:(0) title 'asymmetric' lt 2
    set title "Acrobot-v1: returns"
    set xlabel ''
    set ylabel 'evaluation return (mean ± std)'
    unset logscale y
    set yrange [*:*]
    set offsets 0.5, 0.5, graph 0.08, graph 0.08
    set key bmargin center horizontal
    plot datafile index 0 using 0:(NaN):xtic(1) with points notitle, \
         datafile index 0 using ($0-0.12):6:7 with yerrorbars lt 1 pt 7 ps 1.4 title 'symmetric', \
         datafile index 0 using ($0+0.12):8:9 with yerrorbars lt 2 pt 5 ps 1.4 title 'asymmetric'
    set offsets 0, 0, 0, 0

    unset multiplot

    set output
}
