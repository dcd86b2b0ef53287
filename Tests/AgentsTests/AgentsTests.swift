import Testing
import Nets
@testable import Agents

// Helpers shared by the agents' tests.

/// Trains `agent` for `steps` environment steps.
func train(_ agent: any Agent, steps: Int, metrics: MetricsSink = NullMetrics()) {
    while agent.stepsDone < steps { agent.trainStep(metrics: metrics) }
}

func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(max(xs.count, 1)) }
