// What a stage's Slurm jobs ask for: `slurm:` in a pipeline's `defaults` or in
// a train, evaluate or search stage. Where a node runs never changes its
// result, so none of this is part of a node's spec or key; it only becomes
// sbatch arguments (sbatch(1): --cpus-per-task, --mem, --time).

/// CPUs, memory and time limit of one stage's jobs; nil leaves a value to the
/// cluster's defaults (or to `--sbatch-arg`).
public struct SlurmResources: Sendable, Hashable {
    /// `--cpus-per-task`. A job computes on one BLAS thread whatever it is given
    /// (results must not depend on the machine); more CPUs only reserve them.
    public var cpus: Int?
    /// `--mem`: megabytes, or a number with a K, M, G or T suffix.
    public var memory: String?
    /// `--time`, in one of sbatch's formats ("4:00:00", "1-00:00:00", "90").
    public var time: String?

    public init(cpus: Int? = nil, memory: String? = nil, time: String? = nil) {
        self.cpus = cpus; self.memory = memory; self.time = time
    }

    /// These values where set, `base`'s otherwise (a stage over `defaults`).
    public func over(_ base: SlurmResources) -> SlurmResources {
        SlurmResources(cpus: cpus ?? base.cpus, memory: memory ?? base.memory, time: time ?? base.time)
    }

    /// The sbatch arguments; one CPU when none is asked for (what a worker uses).
    public var sbatchArguments: [String] {
        var args = ["--cpus-per-task=\(cpus ?? 1)"]
        if let memory { args.append("--mem=\(memory)") }
        if let time { args.append("--time=\(time)") }
        return args
    }

    /// The keys of a `slurm:` mapping.
    static let keys = ["cpus", "memory", "time"]

    /// sbatch(1), --mem: "Default units are megabytes. Different units can be
    /// specified using the suffix [K|M|G|T]." Zero is refused: in Slurm it means
    /// "all the node's memory", which a pipeline should not ask by accident.
    static func isMemory(_ text: String) -> Bool {
        var digits = Substring(text)
        if let last = digits.last, "KMGT".contains(last) { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return false }
        return digits.contains { $0 != "0" }
    }

    /// sbatch(1), --time: "minutes", "minutes:seconds", "hours:minutes:seconds",
    /// "days-hours", "days-hours:minutes" and "days-hours:minutes:seconds".
    /// Every field but the first is below 60 (hours below 24 after days).
    static func isTimeLimit(_ text: String) -> Bool {
        func number(_ s: Substring) -> Int? {
            guard !s.isEmpty, s.count <= 9, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(s)
        }
        let dayParts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard dayParts.count <= 2 else { return false }
        let clock = dayParts.last!.split(separator: ":", omittingEmptySubsequences: false)
        guard let values = Optional(clock.compactMap(number)), values.count == clock.count else { return false }
        if dayParts.count == 2 {
            guard number(dayParts[0]) != nil, (1...3).contains(values.count), values[0] < 24 else { return false }
            return values.dropFirst().allSatisfy { $0 < 60 }
        }
        switch values.count {
        case 1, 2: return values.dropFirst().allSatisfy { $0 < 60 }
        case 3: return values[1] < 60 && values[2] < 60
        default: return false
        }
    }
}
