    # inference.gp (Report's template): Figure 5, measured inference rate and
    # modelled flash footprint per network size.
    set multiplot layout 1,2 title "@TITLE@" font ',@TITLEFONTSIZE@'
@PANELS@
    unset multiplot
