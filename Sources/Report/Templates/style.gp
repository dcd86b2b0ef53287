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
set key top left Left reverse noopaque samplen 2 spacing 1.1 font ',@KEYFONTSIZE@'
set style fill transparent solid 0.18 noborder
