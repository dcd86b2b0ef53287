# search-pendulum-ddpg.gp: written by asym's report stage from Report's frame.gp template.
# Re-render by hand with `gnuplot search-pendulum-ddpg.gp` in this folder: it reads
# search-pendulum-ddpg.dat and writes search-pendulum-ddpg.png (pngcairo) and search-pendulum-ddpg.svg.
datafile = 'search-pendulum-ddpg.dat'
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
        set terminal pngcairo size 900,760 enhanced font 'Sans,12' linewidth 1.5
        set output 'search-pendulum-ddpg.png'
    } else {
        set terminal svg size 900,760 enhanced font 'Sans,12' linewidth 1.5 background rgb 'white'
        set output 'search-pendulum-ddpg.svg'
    }
    # curves.gp (Report's template): panels of mean curves with a ± std band over seeds.
    set multiplot layout 2,2 title "DDPG on Pendulum-v0" font ',14' 
    set title "(a)[i] Q loss, symmetric sizes"
    set xlabel "environment steps"
    set ylabel "Q-value loss (MSE, log scale)"
    set key top right
    set logscale y
    set format y '10^{%L}'
    set xrange [0:*]
    set xtics 0, 50000.0
    set format x '%.0s%c'
    set yrange [1.0:10000.0]
    plot datafile index 0 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 1 notitle, \
         datafile index 0 using 1:2 with lines lt 1 title "[c] = [a] = [4,4]", \
         datafile index 1 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 2 notitle, \
         datafile index 1 using 1:2 with lines lt 2 title "[c] = [a] = [8,8]", \
         datafile index 2 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 3 notitle, \
         datafile index 2 using 1:2 with lines lt 3 title "[c] = [a] = [16,16]"
    set title "(a)[ii] Q loss, actors with critic [16,16]"
    set xlabel "environment steps"
    set ylabel "Q-value loss (MSE, log scale)"
    set key top right
    set logscale y
    set format y '10^{%L}'
    set xrange [0:*]
    set xtics 0, 50000.0
    set format x '%.0s%c'
    set yrange [1.0:10000.0]
    plot datafile index 3 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 1 notitle, \
         datafile index 3 using 1:2 with lines lt 1 title "[a] [1,1]", \
         datafile index 4 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 2 notitle, \
         datafile index 4 using 1:2 with lines lt 2 title "[a] [4,4]", \
         datafile index 5 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 3 notitle, \
         datafile index 5 using 1:2 with lines lt 3 title "[a] [16,16]"
    set title "(b) episodic return"
    set xlabel "environment steps"
    set ylabel "episode return (mean ± std over seeds)"
    set key bottom right
    unset logscale y
    set format y '%g'
    set xrange [0:*]
    set xtics 0, 50000.0
    set format x '%.0s%c'
    set yrange [*:*]
    plot datafile index 6 using 1:($2-$3):($2+$3) with filledcurves lt 1 notitle, \
         datafile index 6 using 1:2 with lines lt 1 title "[a] [1,1]", \
         datafile index 7 using 1:($2-$3):($2+$3) with filledcurves lt 2 notitle, \
         datafile index 7 using 1:2 with lines lt 2 title "[a] [4,4]", \
         datafile index 8 using 1:($2-$3):($2+$3) with filledcurves lt 3 notitle, \
         datafile index 8 using 1:2 with lines lt 3 title "[a] [16,16]"
    set multiplot next

    unset multiplot
    unset arrow
    unset label

    set output
}
