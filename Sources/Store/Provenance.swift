import Foundation

/// Where and from what an artifact was made: the root attributes every
/// artifact carries besides its kind, key and spec.
public enum Provenance {
    /// The git commit of the checkout the running binary was built in, and
    /// whether its work tree had uncommitted changes ("unknown" outside git).
    public static let git: (commit: String, dirty: String) = {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        guard let commit = run(["git", "-C", folder, "rev-parse", "HEAD"]), !commit.isEmpty else { return ("unknown", "unknown") }
        let status = run(["git", "-C", folder, "status", "--porcelain", "--untracked-files=no"]) ?? ""
        return (commit, status.isEmpty ? "false" : "true")
    }()

    public static var host: String { ProcessInfo.processInfo.hostName }

    public static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func run(_ arguments: [String]) -> String? {
        guard let r = try? Subprocess.capture(arguments), r.status == 0 else { return nil }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
