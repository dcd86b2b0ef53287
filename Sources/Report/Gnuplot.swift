import Foundation
import Store

// Running gnuplot: each figure is a `.dat` file of data blocks and the exact
// `.gp` script that renders it to PNG (pngcairo) and SVG, filled in from the
// templates this module ships (`Templates/`), so anyone can re-render or
// restyle a figure by hand.

public enum ReportError: Error, Equatable, CustomStringConvertible {
    /// gnuplot is not on PATH.
    case gnuplotMissing
    /// gnuplot runs but lacks a terminal a figure needs.
    case gnuplotTerminalMissing(String)
    /// gnuplot exited with an error rendering a script.
    case gnuplotFailed(script: String, message: String)
    case templateMissing(String)
    case badInput(String)

    public var description: String {
        switch self {
        case .gnuplotMissing:
            return "gnuplot is not on PATH; install the Debian package gnuplot-nox (apt-get install gnuplot-nox)"
        case .gnuplotTerminalMissing(let t):
            return "this gnuplot has no '\(t)' terminal; install the Debian package gnuplot-nox"
        case .gnuplotFailed(let script, let message):
            return "gnuplot failed on \(script): \(message)"
        case .templateMissing(let name):
            return "the Report module's template \(name) is missing from its resources"
        case .badInput(let what):
            return what
        }
    }
}

/// The templates shipped as the module's resources.
enum Templates {
    static func text(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "gp", subdirectory: "Templates")
                ?? Bundle.module.url(forResource: name, withExtension: "gp"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ReportError.templateMissing("\(name).gp")
        }
        return text
    }

    /// `template` with every `@KEY@` replaced by its value.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = template
        for (key, value) in values { out = out.replacingOccurrences(of: "@\(key)@", with: value) }
        return out
    }
}

/// A figure ready to render: its data blocks and the body of its script.
public struct GnuplotFigure: Sendable {
    /// File stem: `name.dat`, `name.gp`, `name.png`, `name.svg`.
    public let name: String
    /// What REPORT.md shows under the figure.
    public let caption: String
    /// Data blocks in order; the script addresses block i as `index i`.
    public let blocks: [DataBlock]
    /// The script between the terminal setup and `set output` (filled template).
    public let body: String
    public let width: Int, height: Int, fontSize: Int

    public init(name: String, caption: String, blocks: [DataBlock], body: String,
                width: Int, height: Int, fontSize: Int = 12) {
        self.name = name; self.caption = caption; self.blocks = blocks; self.body = body
        self.width = width; self.height = height; self.fontSize = fontSize
    }

    /// The `.dat` text: each block headed by comments, blocks separated by two blank lines.
    public var dataText: String {
        blocks.map { $0.text }.joined(separator: "\n\n")
    }

    /// The complete `.gp` script as written beside the data.
    public func script() throws -> String {
        let style = Templates.fill(try Templates.text("style"), ["KEYFONTSIZE": String(fontSize - 1)])
        return Templates.fill(try Templates.text("frame"), [
            "NAME": name, "WIDTH": String(width), "HEIGHT": String(height),
            "FONTSIZE": String(fontSize), "STYLE": style, "BODY": body,
        ])
    }
}

/// One gnuplot data block: named columns and rows of numbers (or quoted labels).
public struct DataBlock: Sendable, Equatable {
    public let title: String
    public let columns: [String]
    public let rows: [[String]]

    public init(title: String, columns: [String], rows: [[String]]) {
        self.title = title; self.columns = columns; self.rows = rows
    }

    var text: String {
        var out = "# \(title)\n# " + columns.joined(separator: "\t") + "\n"
        for r in rows { out += r.joined(separator: "\t") + "\n" }
        if rows.isEmpty { out += "# (no data)\n" }
        return out
    }
}

/// A number as gnuplot reads it: shortest round-trip form, NaN for missing.
func gpNumber(_ x: Double) -> String {
    x.isFinite ? x.description : "NaN"
}

/// A label as a double-quoted gnuplot data field (or string literal).
func gpQuoted(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
}

/// The files a rendered figure left in its folder.
public struct RenderedFigure: Sendable, Equatable {
    public let name: String
    public let caption: String
    public let png: URL, svg: URL, data: URL, script: URL
}

/// Finds and runs gnuplot.
public struct Gnuplot: Sendable {
    public let executable: URL

    /// Locates gnuplot on PATH and checks it has the pngcairo and svg terminals.
    public init(path: String? = ProcessInfo.processInfo.environment["PATH"]) throws {
        let dirs = (path ?? "").split(separator: ":").map(String.init)
        guard let found = dirs.lazy.map({ URL(fileURLWithPath: $0).appendingPathComponent("gnuplot") })
                .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw ReportError.gnuplotMissing
        }
        executable = found
        let terminals = try Self.run(found, arguments: ["-e", "set terminal"], in: nil)
        let listing = terminals.stdout + terminals.stderr
        for t in ["pngcairo", "svg"] where !listing.contains(" \(t) ") && !listing.contains(" \(t)\n") {
            throw ReportError.gnuplotTerminalMissing(t)
        }
    }

    /// Writes `figure`'s `.dat` and `.gp` into `directory` and renders its PNG and SVG there.
    @discardableResult
    public func render(_ figure: GnuplotFigure, into directory: URL) throws -> RenderedFigure {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let data = directory.appendingPathComponent("\(figure.name).dat")
        let script = directory.appendingPathComponent("\(figure.name).gp")
        try figure.dataText.write(to: data, atomically: true, encoding: .utf8)
        try figure.script().write(to: script, atomically: true, encoding: .utf8)
        let result = try Self.run(executable, arguments: [script.lastPathComponent], in: directory)
        // gnuplot reports script errors on stderr and may still exit 0 after a
        // failed `plot` inside a loop, so any "error" line counts as failure.
        if result.status != 0 || result.stderr.lowercased().contains("error") {
            throw ReportError.gnuplotFailed(script: script.path, message: result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return RenderedFigure(name: figure.name, caption: figure.caption,
                              png: directory.appendingPathComponent("\(figure.name).png"),
                              svg: directory.appendingPathComponent("\(figure.name).svg"),
                              data: data, script: script)
    }

    static func run(_ executable: URL, arguments: [String], in directory: URL?) throws -> (status: Int32, stdout: String, stderr: String) {
        let r = try Subprocess.capture(arguments, executable: executable, directory: directory)
        return (r.status, r.stdout, r.stderr)
    }
}
