// Report: gnuplot figures, Table 1, REPORT.md and diff (see DESIGN.md).
import Store
