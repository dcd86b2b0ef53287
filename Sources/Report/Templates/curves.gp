    # curves.gp (Report's template): panels of mean curves with a ± std band over seeds.
    set multiplot layout @ROWS@,@COLUMNS@ title "@TITLE@" font ',@TITLEFONTSIZE@' @MARGINS@
@PANELS@
    unset multiplot
    unset arrow
    unset label
