import Testing
import Foundation
import Nets
import Agents
import Store
@testable import Pipeline

@Suite("Training through the store: the artifact's networks and spec")
struct TrainNodeTests {
    @Test("exported weights are PyTorch Linear layers: y = x·Wᵀ + b with W (out, in) reproduces the MLP to 1e-6")
    func torchLayout() throws {
        var rng = Xoshiro256(seed: 5)
        let net = MLP(inputs: 3, hidden: [5, 4], outputs: 2, hiddenActivation: .tanh, outputActivation: .identity, rng: &rng)
        let tensors = Dictionary(uniqueKeysWithValues: TrainNode.stateDict(of: net))
        #expect(tensors.keys.sorted() == ["0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"])
        #expect(tensors["0.weight"]?.shape == [5, 3] && tensors["4.weight"]?.shape == [2, 4])
        let x: [Float] = [0.3, -1.2, 0.7]
        let ws = net.makeWorkspace(batch: 1)
        let ours = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: net.forward($0.baseAddress!, batch: 1, workspace: ws), count: 2)) }
        // The same network evaluated the way torch.nn.Linear does, from the exported tensors only.
        var h = x.map(Double.init)
        for (index, layer) in [0, 2, 4].enumerated() {
            guard case .floats(let w) = tensors["\(layer).weight"]!.values, case .floats(let b) = tensors["\(layer).bias"]!.values else {
                Issue.record("weights are not float32"); return
            }
            let (out, inp) = (tensors["\(layer).weight"]!.shape[0], tensors["\(layer).weight"]!.shape[1])
            h = (0..<out).map { o in (0..<inp).reduce(Double(b[o])) { $0 + Double(w[o * inp + $1]) * h[$1] } }
            if index < 2 { h = h.map { Foundation.tanh($0) } }
        }
        for j in 0..<2 { #expect(abs(Double(ours[j]) - h[j]) < 1e-6) }
    }

    @Test("the spec makes every hyper-parameter explicit; --set of a default value gives the same key")
    func specAndKey() throws {
        let spec = RunSpec(algorithm: .sac, env: "Pendulum-v1", actorHidden: [4], criticHidden: [8], seed: 1)
        let plain = try TrainNode(spec: spec, overrides: [], steps: 1000, evaluation: .init(episodes: 3))
        guard case .object(let config)? = plain.spec["config"], let gamma = config["gamma"] else {
            Issue.record("no config in the spec"); return
        }
        let explicit = try TrainNode(spec: spec, overrides: [("gamma", gamma.text)], steps: 1000, evaluation: .init(episodes: 3))
        #expect(explicit.key == plain.key)
        let other = try TrainNode(spec: spec, overrides: [("gamma", "0.5")], steps: 1000, evaluation: .init(episodes: 3))
        #expect(other.key != plain.key)
        let moreEpisodes = try TrainNode(spec: spec, overrides: [], steps: 1000, evaluation: .init(episodes: 4))
        #expect(moreEpisodes.key != plain.key)
        let differing = TrainNode.differingFields(other.spec.text, plain.spec)
        #expect(differing == ["config.gamma"])
    }

    @Test("the config resolved for the key is the one the agent trains with, for every algorithm", arguments: [
        (Algorithm.ddpg, "Pendulum-v1"), (.td3, "Pendulum-v1"), (.sac, "Pendulum-v1"), (.sac, "Acrobot-v1"),
        (.ppo, "Acrobot-v1"), (.trpo, "Pendulum-v1"),
    ])
    func resolvedConfig(_ algorithm: Algorithm, _ env: String) throws {
        for preset in Preset.allCases {
            let spec = RunSpec(algorithm: algorithm, env: env, actorHidden: [4], criticHidden: [8], seed: 0, preset: preset)
            let overrides = [(key: "gamma", value: "0.9")]
            #expect(try AgentFactory.resolvedConfigJSON(spec, overrides: overrides)
                    == AgentFactory.make(spec, overrides: overrides).configJSON)
        }
    }
}
