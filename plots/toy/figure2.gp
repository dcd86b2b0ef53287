# figure2.gp: written by asym's report stage from Report's frame.gp template.
# Re-render by hand with `gnuplot figure2.gp` in this folder: it reads
# figure2.dat and writes figure2.png (pngcairo) and figure2.svg.
datafile = 'figure2.dat'
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
        set terminal pngcairo size 900,770 enhanced font 'Sans,12' linewidth 1.5
        set output 'figure2.png'
    } else {
        set terminal svg size 900,770 enhanced font 'Sans,12' linewidth 1.5 background rgb 'white'
        set output 'figure2.svg'
    }
    # curves.gp (Report's template): panels of mean curves with a ± std band over seeds.
    set multiplot layout 2,2 title "Toy tracking problem: DDPG, TRPO" font ',14' margins 0.106, 0.967, 0.195, 0.903 spacing 0.139, 0.162
    set title "DDPG: reward"
    set xlabel "environment steps"
    set ylabel "episode return (mean ± std over seeds)"
    unset key
    unset logscale y
    set format y '%g'
    set xrange [0:*]
    set xtics 0, 50000.0
    set format x '%.0s%c'
    set yrange [*:*]
    plot datafile index 0 using 1:($2-$3):($2+$3) with filledcurves lt 1 notitle, \
         datafile index 0 using 1:2 with lines lt 1 title "[1]", \
         datafile index 1 using 1:($2-$3):($2+$3) with filledcurves lt 2 notitle, \
         datafile index 1 using 1:2 with lines lt 2 title "actor [1], critic [16,16,1]", \
         datafile index 2 using 1:($2-$3):($2+$3) with filledcurves lt 3 notitle, \
         datafile index 2 using 1:2 with lines lt 3 title "[4,4,1]", \
         datafile index 3 using 1:($2-$3):($2+$3) with filledcurves lt 4 notitle, \
         datafile index 3 using 1:2 with lines lt 4 title "[8,8,1]", \
         datafile index 4 using 1:($2-$3):($2+$3) with filledcurves lt 5 notitle, \
         datafile index 4 using 1:2 with lines lt 5 title "[16,16,1]"
    set title "DDPG: value loss"
    set xlabel "environment steps"
    set ylabel "value loss (MSE, log scale)"
    unset key
    set logscale y
    set format y '10^{%L}'
    set xrange [0:*]
    set xtics 0, 50000.0
    set format x '%.0s%c'
    set yrange [*:*]
    plot datafile index 5 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 1 notitle, \
         datafile index 5 using 1:2 with lines lt 1 title "[1]", \
         datafile index 6 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 2 notitle, \
         datafile index 6 using 1:2 with lines lt 2 title "actor [1], critic [16,16,1]", \
         datafile index 7 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 3 notitle, \
         datafile index 7 using 1:2 with lines lt 3 title "[4,4,1]", \
         datafile index 8 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 4 notitle, \
         datafile index 8 using 1:2 with lines lt 4 title "[8,8,1]", \
         datafile index 9 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 5 notitle, \
         datafile index 9 using 1:2 with lines lt 5 title "[16,16,1]"
    set title "TRPO: reward"
    set xlabel "environment steps"
    set ylabel "episode return (mean ± std over seeds)"
    unset key
    unset logscale y
    set format y '%g'
    set xrange [0:*]
    set xtics 0, 50000.0
    set format x '%.0s%c'
    set yrange [*:*]
    plot datafile index 10 using 1:($2-$3):($2+$3) with filledcurves lt 1 notitle, \
         datafile index 10 using 1:2 with lines lt 1 title "[1]", \
         datafile index 11 using 1:($2-$3):($2+$3) with filledcurves lt 2 notitle, \
         datafile index 11 using 1:2 with lines lt 2 title "actor [1], critic [16,16,1]", \
         datafile index 12 using 1:($2-$3):($2+$3) with filledcurves lt 3 notitle, \
         datafile index 12 using 1:2 with lines lt 3 title "[4,4,1]", \
         datafile index 13 using 1:($2-$3):($2+$3) with filledcurves lt 4 notitle, \
         datafile index 13 using 1:2 with lines lt 4 title "[8,8,1]", \
         datafile index 14 using 1:($2-$3):($2+$3) with filledcurves lt 5 notitle, \
         datafile index 14 using 1:2 with lines lt 5 title "[16,16,1]"
    set title "TRPO: value loss"
    set xlabel "environment steps"
    set ylabel "value loss (MSE, log scale)"
    unset key
    set arrow 200 from screen 0.1114, screen 0.0286 to screen 0.1447, screen 0.0286 nohead lt 1 lw 2 front
    set label 200 "[1]" at screen 0.1536, screen 0.0286 left front
    set arrow 201 from screen 0.2097, screen 0.0286 to screen 0.2431, screen 0.0286 nohead lt 2 lw 2 front
    set label 201 "actor [1], critic [16,16,1]" at screen 0.2519, screen 0.0286 left front
    set arrow 202 from screen 0.5081, screen 0.0286 to screen 0.5414, screen 0.0286 nohead lt 3 lw 2 front
    set label 202 "[4,4,1]" at screen 0.5503, screen 0.0286 left front
    set arrow 203 from screen 0.6397, screen 0.0286 to screen 0.6731, screen 0.0286 nohead lt 4 lw 2 front
    set label 203 "[8,8,1]" at screen 0.6819, screen 0.0286 left front
    set arrow 204 from screen 0.7714, screen 0.0286 to screen 0.8047, screen 0.0286 nohead lt 5 lw 2 front
    set label 204 "[16,16,1]" at screen 0.8136, screen 0.0286 left front
    set logscale y
    set format y '10^{%L}'
    set xrange [0:*]
    set xtics 0, 50000.0
    set format x '%.0s%c'
    set yrange [*:*]
    plot datafile index 15 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 1 notitle, \
         datafile index 15 using 1:2 with lines lt 1 title "[1]", \
         datafile index 16 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 2 notitle, \
         datafile index 16 using 1:2 with lines lt 2 title "actor [1], critic [16,16,1]", \
         datafile index 17 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 3 notitle, \
         datafile index 17 using 1:2 with lines lt 3 title "[4,4,1]", \
         datafile index 18 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 4 notitle, \
         datafile index 18 using 1:2 with lines lt 4 title "[8,8,1]", \
         datafile index 19 using 1:(($2-$3) > 0 ? $2-$3 : $2/10):($2+$3) with filledcurves lt 5 notitle, \
         datafile index 19 using 1:2 with lines lt 5 title "[16,16,1]"

    unset multiplot
    unset arrow
    unset label

    set output
}
