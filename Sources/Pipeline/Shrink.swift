// A quick look at a pipeline: budgets scaled down and fewer seeds. The
// shrunken nodes are ordinary nodes with smaller `steps` (which their keys
// hash), so quick and full results never share a key, and the report labels
// them with the scale it ran at.
import Foundation

/// How much of a pipeline to run.
public struct Shrink: Sendable, Equatable, CustomStringConvertible {
    /// Fraction of every budget (0 < scale ≤ 1).
    public var scale: Double
    /// Keep each stage's (and search's) first N seeds.
    public var seeds: Int?

    public init(scale: Double = 1, seeds: Int? = nil) { self.scale = scale; self.seeds = seeds }

    public var isFull: Bool { scale == 1 && seeds == nil }

    /// "scale 0.1, 3 seeds": what the report and run record say.
    public var description: String {
        var parts: [String] = []
        if scale != 1 { parts.append("scale \(scale)") }
        if let seeds { parts.append("\(seeds) seed\(seeds == 1 ? "" : "s")") }
        return parts.isEmpty ? "full budget" : parts.joined(separator: ", ")
    }

    public func steps(_ steps: Int) -> Int { max(1, Int((Double(steps) * scale).rounded())) }
}

extension Pipeline {
    /// This pipeline with budgets scaled and seeds cut; nodes whose seed is cut
    /// go, with the evaluate nodes of them; reports read what remains.
    public func shrunk(_ shrink: Shrink) -> Pipeline {
        guard !shrink.isFull else { return self }
        // The seeds each stage keeps: its first N distinct seeds in graph order.
        var kept: [String: [UInt64]] = [:]
        for node in graph.nodes {
            guard case .train(let t) = node.spec else { continue }
            var seeds = kept[node.stage, default: []]
            if !seeds.contains(t.seed) { seeds.append(t.seed) }
            kept[node.stage] = seeds
        }
        let limit = shrink.seeds ?? Int.max
        func keeps(_ t: TrainSpec, stage: String) -> Bool { (kept[stage] ?? []).prefix(limit).contains(t.seed) }

        var nodes: [PipelineNode] = []
        var removed = Set<String>()
        for var node in graph.nodes {
            switch node.spec {
            case .train(var t):
                guard keeps(t, stage: node.stage) else { removed.insert(node.id); continue }
                t.steps = shrink.steps(t.steps)
                node.spec = .train(t)
            case .evaluate(var e):
                guard !removed.contains(e.trainNode) else { removed.insert(node.id); continue }
                e.train.steps = shrink.steps(e.train.steps)
                node.spec = .evaluate(e)
            case .search(var s):
                s.template.steps = shrink.steps(s.template.steps)
                s.seeds = Array(s.seeds.prefix(limit))
                node.spec = .search(s)
            case .report(var r):
                r.inputs.removeAll { removed.contains($0) }
                node.spec = .report(r)
            }
            node.needs.removeAll { removed.contains($0) }
            node.cost = PipelineNode.defaultCost(node.spec)
            nodes.append(node)
        }
        var copy = self
        copy.graph = NodeGraph(nodes)
        copy.shrink = shrink
        return copy
    }
}
