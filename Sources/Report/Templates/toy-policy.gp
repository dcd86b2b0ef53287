    # toy-policy.gp (Report's template): Figure 1, the toy problem's state
    # transitions (left) and state-action pairs against a = o (right), a row per size.
    set multiplot layout @ROWS@,2 title "@TITLE@\n" font ',@TITLEFONTSIZE@'
@PANELS@
    unset multiplot
