    # toy-policy.gp (Report's template): Figure 1, the toy problem's state
    # transitions (top row) and state-action pairs against a = o (bottom row).
    set multiplot layout 2,@COLUMNS@ title "@TITLE@\n" font ',@TITLEFONTSIZE@'
@PANELS@
    unset multiplot
