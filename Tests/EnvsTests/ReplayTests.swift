import Foundation
import Testing
@testable import Envs

@Suite("Replay")
struct ReplayTests {
    func replay(_ envID: String, _ json: String) throws -> ReplayResult {
        try Replay.run(envID: envID, input: Data(json.utf8), source: "in.json")
    }

    @Test("sets the state and reports every step")
    func basic() throws {
        let result = try replay("Pendulum-v1", #"{"state": {"theta": 0, "thetadot": 0}, "actions": [[0], [0]]}"#)
        #expect(result.initialObservation == [1, 0, 0])
        #expect(result.steps.count == 2)
        #expect(result.steps[0].outcome.reward == 0)   // upright, still, no torque
    }

    @Test("malformed input names the file and the field", arguments: [
        ("Pendulum-v1", #"{"state": {"theta": 0}, "actions": []}"#, "in.json: state: missing field 'thetadot'"),
        ("Pendulum-v1", #"{"state": {"theta": 0, "thetadot": 0, "x": 1}, "actions": []}"#, "unknown field 'x'"),
        ("Pendulum-v1", #"{"state": {"theta": "0", "thetadot": 0}, "actions": []}"#, "state.theta: expected a number, got a string"),
        ("Pendulum-v1", #"{"actions": []}"#, "in.json: missing field 'state'"),
        ("Pendulum-v1", #"{"state": {"theta": 0, "thetadot": 0}}"#, "missing field 'actions'"),
        ("Pendulum-v1", #"{"state": {"theta": 0, "thetadot": 0}, "actions": [[0], [1, 2]]}"#, "actions[1]: expected 1 numbers, got 2"),
        ("Pendulum-v1", #"{"state": {"theta": 0, "thetadot": 0}, "actions": [[true]]}"#, "actions[0][0]: expected a number, got a boolean"),
        ("Acrobot-v1", #"{"state": {"s": [0, 0, 0]}, "actions": []}"#, "state.s: expected 4 numbers, got 3"),
        ("Acrobot-v1", #"{"state": {"s": [0, 0, 0, 0]}, "actions": [[1.5]]}"#, "actions[0][0]: expected an action index 0..<3"),
        ("Acrobot-v1", #"{"state": {"s": [0, 0, 0, 0]}, "actions": [[3]]}"#, "expected an action index 0..<3"),
        ("ToyTracking-v0", #"{"state": {"offset": 1}, "actions": []}"#, "missing field 'state'"),
        ("ToyTracking-v0", #"[1, 2]"#, "in.json: expected an object"),
        ("ToyTracking-v0", #"{"state": "#, "in.json: not valid JSON"),
    ])
    func malformed(envID: String, json: String, message: String) throws {
        do {
            _ = try replay(envID, json)
            Issue.record("accepted malformed input \(json)")
        } catch let error as EnvError {
            guard case .invalidReplayInput = error else { Issue.record("wrong error \(error)"); return }
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test("an unknown environment is reported with the known ids")
    func unknownEnvironment() {
        #expect(throws: EnvError.self) { try replay("Pendulum-v9", "{}") }
    }

    @Test("the JSON output parses back to the same numbers")
    func jsonRoundTrip() throws {
        let result = try replay("ToyTracking-v0", #"{"state": {"offset": 98765.4321, "state": 0.7}, "actions": [[0.25], [-3], [1]]}"#)
        guard case .object(let top) = try JSONDecoder().decode(JSONValue.self, from: Data(result.json.utf8)),
              case .array(let obs0) = top["obs0"], case .array(let steps) = top["steps"] else {
            Issue.record("output is not the documented shape:\n\(result.json)"); return
        }
        #expect(obs0.map { value -> Float in if case .number(let x) = value { Float(x) } else { .nan } }
                == result.initialObservation)
        #expect(steps.count == 3)
        for (step, want) in zip(steps, result.steps) {
            guard case .object(let s) = step, case .array(let obs) = s["obs"] else {
                Issue.record("bad step \(step)"); continue
            }
            #expect(obs.map { value -> Float in if case .number(let x) = value { Float(x) } else { .nan } } == want.observation)
            #expect(s["reward"] == .number(want.outcome.reward))
            #expect(s["terminated"] == .bool(want.outcome.terminated))
            #expect(s["truncated"] == .bool(want.outcome.truncated))
        }
    }
}
