# @NAME@.gp: written by asym's report stage from Report's frame.gp template.
# Re-render by hand with `gnuplot @NAME@.gp` in this folder: it reads
# @NAME@.dat and writes @NAME@.png (pngcairo) and @NAME@.svg.
datafile = '@NAME@.dat'
@STYLE@
do for [format in "png svg"] {
    if (format eq "png") {
        set terminal pngcairo size @WIDTH@,@HEIGHT@ enhanced font 'Sans,@FONTSIZE@' linewidth 1.5
        set output '@NAME@.png'
    } else {
        set terminal svg size @WIDTH@,@HEIGHT@ enhanced font 'Sans,@FONTSIZE@' linewidth 1.5 background rgb 'white'
        set output '@NAME@.svg'
    }
@BODY@
    set output
}
