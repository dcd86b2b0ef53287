import Foundation

/// Writes a report folder (`plots/<pipeline>/`): every figure's .dat, .gp,
/// PNG and SVG, `table1.md` when there is a table, and `REPORT.md`.
public enum ReportFolder {
    /// Renders `figures` and writes the Markdown files into `directory`;
    /// returns the paths written, relative to it, sorted.
    @discardableResult
    public static func write(figures: [GnuplotFigure], table1: String?, document: ReportDocument,
                             into directory: URL, gnuplot: Gnuplot? = nil) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var written: [String] = []
        if !figures.isEmpty {
            let g = try gnuplot ?? Gnuplot()
            for f in figures {
                try g.render(f, into: directory)
                written += ["png", "svg", "dat", "gp"].map { "\(f.name).\($0)" }
            }
        }
        if let table1 {
            try ("# Table 1\n\n" + table1).write(to: directory.appendingPathComponent("table1.md"), atomically: true, encoding: .utf8)
            written.append("table1.md")
        }
        try document.markdown.write(to: directory.appendingPathComponent("REPORT.md"), atomically: true, encoding: .utf8)
        written.append("REPORT.md")
        return written.sorted()
    }
}
