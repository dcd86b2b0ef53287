import Foundation

// `asym env replay`: set an environment to a given state, apply a list of
// actions, and report every observation and reward, so trajectories can be
// compared with a reference implementation (Gymnasium, gym 0.18, MuJoCo).
//
// Input:  {"state": S, "actions": [[a0…], [a1…], …]}
// Output: {"obs0": […], "steps": [{"obs": […], "reward": r, "terminated": b, "truncated": b}, …]}
// S is environment-specific (see each environment's `setState`).

// MARK: - The protocol environments conform to

/// An environment that can start an episode from a state given as JSON fields.
public protocol ReplayableEnv: Env {
    /// Starts a new episode (elapsed steps 0) at `state` and writes its first
    /// observation. Throws `EnvError.invalidReplayInput` naming the field when
    /// `state` lacks a field, has an unknown one, or holds a wrong shape.
    /// Does not touch the environment's random generator.
    mutating func setState(_ state: ReplayState, into observation: UnsafeMutableBufferPointer<Float>) throws
}

/// The `"state"` object of a replay input, with readers that check types and
/// shapes and name the offending field in their errors.
public struct ReplayState: Sendable {
    public let fields: [String: JSONValue]
    /// Where the object came from, for messages: e.g. "run.json: state".
    public let context: String

    public init(fields: [String: JSONValue], context: String) {
        self.fields = fields; self.context = context
    }

    /// The field `key` as one number.
    public func number(_ key: String) throws -> Double {
        guard let value = fields[key] else { throw missing(key) }
        guard case .number(let x) = value else {
            throw EnvError.invalidReplayInput("\(context).\(key): expected a number, got \(value.kind)")
        }
        return x
    }

    /// The field `key` as an array of exactly `count` numbers.
    public func numbers(_ key: String, count: Int) throws -> [Double] {
        guard let value = fields[key] else { throw missing(key) }
        guard case .array(let items) = value else {
            throw EnvError.invalidReplayInput("\(context).\(key): expected an array of \(count) numbers, got \(value.kind)")
        }
        guard items.count == count else {
            throw EnvError.invalidReplayInput("\(context).\(key): expected \(count) numbers, got \(items.count)")
        }
        return try items.enumerated().map { i, item in
            guard case .number(let x) = item else {
                throw EnvError.invalidReplayInput("\(context).\(key)[\(i)]: expected a number, got \(item.kind)")
            }
            return x
        }
    }

    /// Rejects fields other than `keys` (a typo would otherwise be silently ignored).
    public func expectOnly(_ keys: Set<String>) throws {
        if let unknown = fields.keys.sorted().first(where: { !keys.contains($0) }) {
            throw EnvError.invalidReplayInput(
                "\(context): unknown field '\(unknown)' (expected \(keys.sorted().joined(separator: ", ")))")
        }
    }

    private func missing(_ key: String) -> EnvError {
        EnvError.invalidReplayInput("\(context): missing field '\(key)'")
    }
}

// MARK: - Running a replay

/// One step of a replayed trajectory.
public struct ReplayStep: Sendable, Equatable {
    public var observation: [Float]
    public var outcome: StepOutcome
}

/// A replayed trajectory: the observation after setting the state, then one entry per action.
public struct ReplayResult: Sendable, Equatable {
    public var initialObservation: [Float]
    public var steps: [ReplayStep]

    /// `{"obs0": […], "steps": [{"obs": […], "reward": r, "terminated": b, "truncated": b}, …]}`,
    /// one step per line; numbers print in their shortest exact form.
    public var json: String {
        var out = "{\"obs0\": \(Self.format(initialObservation)),\n \"steps\": ["
        for (i, step) in steps.enumerated() {
            out += i == 0 ? "\n  " : ",\n  "
            out += "{\"obs\": \(Self.format(step.observation)), \"reward\": \(Self.format(step.outcome.reward)), "
            out += "\"terminated\": \(step.outcome.terminated), \"truncated\": \(step.outcome.truncated)}"
        }
        out += steps.isEmpty ? "]}\n" : "\n ]}\n"
        return out
    }

    static func format(_ values: [Float]) -> String {
        "[" + values.map { format(Double($0), shortest: $0.description) }.joined(separator: ", ") + "]"
    }
    static func format(_ x: Double) -> String { format(x, shortest: x.description) }
    /// JSON has no NaN or infinity; `Replay.run` refuses them, so this never prints one.
    static func format(_ x: Double, shortest: String) -> String { x.isFinite ? shortest : "null" }
}

public enum Replay {
    /// Parses replay `input` (the JSON bytes of the file `source`, named in
    /// errors), makes environment `envID`, and replays the actions.
    ///
    /// - Throws: `EnvError.unknownEnvironment`, or `EnvError.invalidReplayInput`
    ///   naming the file and field for malformed input.
    public static func run(envID: String, input: Data, source: String) throws -> ReplayResult {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: input)
        } catch {
            throw EnvError.invalidReplayInput("\(source): not valid JSON")
        }
        return try run(envID: envID, input: root, source: source)
    }

    /// Replays already-decoded input (see `run(envID:input:source:)` for bytes).
    public static func run(envID: String, input root: JSONValue, source: String) throws -> ReplayResult {
        guard var env = try EnvRegistry.make(envID) as? any ReplayableEnv else {
            throw EnvError.invalidReplayInput("environment '\(envID)' does not support replay")
        }
        guard case .object(let top) = root else {
            throw EnvError.invalidReplayInput("\(source): expected an object with fields 'state' and 'actions', got \(root.kind)")
        }
        if let unknown = top.keys.sorted().first(where: { $0 != "state" && $0 != "actions" }) {
            throw EnvError.invalidReplayInput("\(source): unknown field '\(unknown)' (expected state, actions)")
        }
        guard let stateValue = top["state"] else {
            throw EnvError.invalidReplayInput("\(source): missing field 'state'")
        }
        guard case .object(let stateFields) = stateValue else {
            throw EnvError.invalidReplayInput("\(source): state: expected an object, got \(stateValue.kind)")
        }
        let actions = try parseActions(top["actions"], space: env.actionSpace, source: source)
        return try run(&env, state: ReplayState(fields: stateFields, context: "\(source): state"),
                       actions: actions)
    }

    /// Sets `state` and applies `actions` (each `env.actionCount` Floats) in order.
    public static func run<E: ReplayableEnv>(_ env: inout E, state: ReplayState,
                                              actions: [[Float]]) throws -> ReplayResult {
        var observation = [Float](repeating: 0, count: env.observationCount)
        try observation.withUnsafeMutableBufferPointer { try env.setState(state, into: $0) }
        try requireFinite(observation, reward: 0, where: "\(state.context): the initial observation")
        var result = ReplayResult(initialObservation: observation, steps: [])
        result.steps.reserveCapacity(actions.count)
        for (i, action) in actions.enumerated() {
            precondition(action.count == env.actionCount, "replay action has the wrong length")
            let outcome = action.withUnsafeBufferPointer { a in
                observation.withUnsafeMutableBufferPointer { env.step(a, into: $0) }
            }
            try requireFinite(observation, reward: outcome.reward, where: "step \(i) (after actions[\(i)])")
            result.steps.append(ReplayStep(observation: observation, outcome: outcome))
        }
        return result
    }

    /// A NaN or infinity means the state or actions are outside what the
    /// simulation can follow; JSON cannot carry it, so it is an input error.
    static func requireFinite(_ observation: [Float], reward: Double, where place: String) throws {
        if let k = observation.firstIndex(where: { !$0.isFinite }) {
            throw EnvError.invalidReplayInput("\(place): obs[\(k)] is \(observation[k]), not a finite number")
        }
        guard reward.isFinite else {
            throw EnvError.invalidReplayInput("\(place): the reward is \(reward), not a finite number")
        }
    }

    /// Reads `"actions"`: an array of arrays of numbers, each of the action
    /// space's length; a discrete action must be an integer index in range.
    static func parseActions(_ value: JSONValue?, space: Space, source: String) throws -> [[Float]] {
        guard let value else { throw EnvError.invalidReplayInput("\(source): missing field 'actions'") }
        guard case .array(let items) = value else {
            throw EnvError.invalidReplayInput("\(source): actions: expected an array of actions, got \(value.kind)")
        }
        let width = space.flatCount
        return try items.enumerated().map { i, item in
            let field = "\(source): actions[\(i)]"
            guard case .array(let numbers) = item else {
                throw EnvError.invalidReplayInput("\(field): expected an array of \(width) numbers, got \(item.kind)")
            }
            guard numbers.count == width else {
                throw EnvError.invalidReplayInput("\(field): expected \(width) numbers, got \(numbers.count)")
            }
            return try numbers.enumerated().map { j, number in
                guard case .number(let x) = number else {
                    throw EnvError.invalidReplayInput("\(field)[\(j)]: expected a number, got \(number.kind)")
                }
                if case .discrete(let n) = space, !(x == x.rounded() && x >= 0 && x < Double(n)) {
                    throw EnvError.invalidReplayInput("\(field)[\(j)]: expected an action index 0..<\(n), got \(x)")
                }
                guard Float(x).isFinite else {
                    throw EnvError.invalidReplayInput("\(field)[\(j)]: \(x) does not fit in a 32-bit float")
                }
                return Float(x)
            }
        }
    }
}
