    # bars.gp (Report's template): grouped bars, one group per category, with
    # ± std error bars where the data has them.
    set style data histogram
    set style histogram errorbars gap 1.5 lw 1.2
    set style fill solid 0.85 border -1
    set boxwidth 0.9 relative
    set multiplot layout @ROWS@,@COLUMNS@ title "@TITLE@" font ',@TITLEFONTSIZE@'
@PANELS@
    unset multiplot
