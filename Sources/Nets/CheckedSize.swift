import Foundation

/// Arithmetic on sizes and counts that come from users or files.
///
/// Release builds use `-Ounchecked`, where `*` and `+` on `Int` wrap silently
/// on overflow (the traps are removed): a size typed by a user would become a
/// small or negative number and be allocated or printed as if it were right.
/// Every product or sum of such sizes goes through these functions instead,
/// which report the overflow as an error naming what was being computed.
public enum CheckedSize {
    /// `a · b`, or `SizeError.overflow(what)`.
    public static func product(_ a: Int, _ b: Int, _ what: @autoclosure () -> String) throws -> Int {
        let (r, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw SizeError.overflow(what()) }
        return r
    }

    /// The product of all `factors`, or `SizeError.overflow(what)`.
    public static func product(_ factors: [Int], _ what: @autoclosure () -> String) throws -> Int {
        var r = 1
        for f in factors { r = try product(r, f, what()) }
        return r
    }

    /// `a + b`, or `SizeError.overflow(what)`.
    public static func sum(_ a: Int, _ b: Int, _ what: @autoclosure () -> String) throws -> Int {
        let (r, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw SizeError.overflow(what()) }
        return r
    }

    /// The sum of all `terms`, or `SizeError.overflow(what)`.
    public static func sum(_ terms: [Int], _ what: @autoclosure () -> String) throws -> Int {
        var r = 0
        for t in terms { r = try sum(r, t, what()) }
        return r
    }

    /// The machine's physical memory in bytes: the most a run may ask for up front.
    public static var physicalMemory: Int {
        Int(clamping: ProcessInfo.processInfo.physicalMemory)
    }

    /// Refuses `bytes` of up-front allocation for `what` when it exceeds the
    /// machine's memory, before anything is allocated (an allocation that
    /// large would otherwise abort the process with a backtrace, or page the
    /// machine to a halt).
    public static func requireAllocatable(bytes: Int, for what: @autoclosure () -> String,
                                          limit: Int = CheckedSize.physicalMemory) throws {
        guard bytes <= limit else { throw SizeError.tooLarge(what: what(), bytes: bytes, available: limit) }
    }

    /// "1.5 GB", "36.0 TB": decimal units, one decimal.
    public static func formatBytes(_ bytes: Int) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        if unit == 0 { return "\(bytes) bytes" }
        let tenths = (value * 10).rounded()
        return "\(Int(tenths) / 10).\(Int(tenths) % 10) \(units[unit])"
    }
}

/// A size that overflows or cannot be allocated; one readable sentence.
public enum SizeError: Error, Equatable, CustomStringConvertible {
    /// Computing `what` overflows 64-bit integers.
    case overflow(String)
    /// `what` needs `bytes`, more than the `available` memory.
    case tooLarge(what: String, bytes: Int, available: Int)

    public var description: String {
        switch self {
        case .overflow(let what):
            return "\(what) is too large: the count overflows 64-bit integers"
        case .tooLarge(let what, let bytes, let available):
            return "\(what) needs \(CheckedSize.formatBytes(bytes)) of memory, more than this machine's "
                + "\(CheckedSize.formatBytes(available))"
        }
    }
}
