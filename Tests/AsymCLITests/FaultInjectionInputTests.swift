import Foundation
import Testing

/// Malformed command lines, as a user types them: each exits with its code and
/// exactly one line on stderr that says what is wrong, before any training.
@Suite("fault injection: malformed input")
struct FaultInjectionInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let arguments: [String]
        let code: Int32
        let message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let train = ["train", "--algo", "td3", "--env", "Pendulum-v0", "--actor", "4", "--critic", "4", "--steps", "10"]
    static let ppo = ["train", "--algo", "ppo", "--env", "Pendulum-v0", "--actor", "4", "--critic", "4", "--steps", "10"]
    static let params = ["params", "--obs", "3", "--act", "1"]

    static let cases: [Case] = [
        // Sizes and counts: overflow is an error, not a wrapped number.
        Case(arguments: ["params", "--obs", "9223372036854775807", "--act", "1", "--actor", "2"], code: 2, message: "overflows 64-bit integers"),
        Case(arguments: params + ["--actor", "4", "--baseline", "9223372036854775807,9223372036854775807"], code: 2, message: "overflows"),
        Case(arguments: params + ["--actor", "4,,4"], code: 2, message: "'4,,4' is invalid for '--actor"),
        Case(arguments: params + ["--actor", " , "], code: 2, message: "is invalid for '--actor"),
        Case(arguments: params + ["--actor", "4,"], code: 2, message: "'4,' is invalid"),
        Case(arguments: params + ["--actor", "-4"], code: 2, message: "'-4' is invalid"),
        Case(arguments: ["params", "--obs", "-3", "--act", "1", "--actor", "4"], code: 2, message: "--obs must be positive (got -3)"),
        Case(arguments: ["params", "--obs", "0", "--act", "1", "--actor", "4"], code: 2, message: "--obs must be positive"),
        // Sizes that cannot be allocated are refused before allocating, with the bytes they need.
        Case(arguments: train + ["--set", "replay_size=1000000000000"], code: 2, message: "replay_size=1000000000000 (the replay buffer) needs 36.0 TB of memory"),
        Case(arguments: ["train", "--algo", "td3", "--env", "Pendulum-v0", "--actor", "100000,100000", "--critic", "4", "--steps", "10"],
             code: 2, message: "--actor 100000,100000 (the actor) needs 200.5 GB of memory"),
        Case(arguments: train + ["--set", "batch_size=1e10"], code: 2, message: "batch_size=10000000000"),
        Case(arguments: ppo + ["--set", "n_steps=1e12"], code: 2, message: "n_steps=1000000000000 × n_envs=1 (the rollout buffer) needs"),
        Case(arguments: ["train", "--algo", "sac", "--env", "Pendulum-v0", "--actor", "9223372036854775807", "--critic", "4", "--steps", "10"],
             code: 2, message: "overflows 64-bit integers"),
        // Options: the message says what is wrong, in one line (not a usage block).
        Case(arguments: Array(train.dropLast()) + ["-5"], code: 2, message: "--steps must be positive (got -5)"),
        Case(arguments: Array(train.dropLast(2)) + ["--steps"], code: 2, message: "Missing value for '--steps <steps>'"),
        Case(arguments: train + ["--eval-episodes", "-1"], code: 2, message: "--eval-episodes must be ≥ 0"),
        Case(arguments: train + ["--checkpoint-every", "0", "--checkpoint", "/tmp/x.h5"], code: 2, message: "--checkpoint-every must be positive"),
        Case(arguments: train + ["--checkpoint-every", "10", "--no-store"], code: 2, message: "--checkpoint-every needs --checkpoint FILE"),
        Case(arguments: train + ["--seed", "-1"], code: 2, message: "'-1' is invalid for '--seed"),
        Case(arguments: ["train", "--algo", "sacc", "--env", "Pendulum-v0", "--actor", "4", "--critic", "4", "--steps", "10"], code: 2, message: "'sacc'"),
        Case(arguments: ["train", "--algo", "sac", "--env", "Nowhere-v9", "--actor", "4", "--critic", "4", "--steps", "10"], code: 2, message: "unknown environment 'Nowhere-v9'"),
        Case(arguments: ["frobnicate"], code: 2, message: "Unexpected argument 'frobnicate'"),
        Case(arguments: train + ["--resume", "/nonexistent/run.h5"], code: 2, message: "/nonexistent/run.h5: no such file"),
        // Hyper-parameters out of range are refused before training.
        Case(arguments: train + ["--set", "gama=0.9"], code: 2, message: "unknown td3 hyper-parameter 'gama'"),
        Case(arguments: train + ["--set", "gamma"], code: 2, message: "--set expects key=value"),
        Case(arguments: train + ["--set", "pi_lr=-0.001"], code: 2, message: "'pi_lr': cannot use '-0.001' (expected a positive number)"),
        Case(arguments: train + ["--set", "q_lr=0"], code: 2, message: "'q_lr'"),
        Case(arguments: train + ["--set", "act_noise=-0.1"], code: 2, message: "'act_noise'"),
        Case(arguments: train + ["--set", "gamma=1.5"], code: 2, message: "'gamma'"),
        Case(arguments: train + ["--set", "gamma=nan"], code: 2, message: "'gamma'"),
        Case(arguments: ppo + ["--set", "learning_rate=-1"], code: 2, message: "'learning_rate'"),
        Case(arguments: ppo + ["--set", "target_kl=-0.5"], code: 2, message: "'target_kl'"),
        Case(arguments: ppo + ["--set", "vf_learning_rate=-0.5"], code: 2, message: "'vf_learning_rate'"),
        Case(arguments: ["train", "--algo", "trpo", "--env", "Pendulum-v0", "--actor", "4", "--critic", "4", "--steps", "10",
                         "--set", "vf_lr=-0.001"], code: 2, message: "'vf_lr'"),
    ]

    @Test("exit code and one line naming the problem", arguments: cases)
    func malformed(_ c: Case) throws {
        expectFailure(try run(c.arguments), code: c.code, message: c.message)
    }

    struct ReplayCase: CustomTestStringConvertible, Sendable {
        let env: String, input: String, message: String
        var testDescription: String { "\(env) \(input)" }
    }

    /// `env replay` errors start `asym:` like the rest, and a state the
    /// simulation cannot follow is refused, never printed as `null`.
    @Test("env replay: malformed input and non-finite output", arguments: [
        ReplayCase(env: "Pendulum-v0", input: #"{"state": "#, message: "<stdin>: not valid JSON"),
        ReplayCase(env: "Pendulum-v9", input: "{}", message: "unknown environment 'Pendulum-v9'"),
        ReplayCase(env: "Pendulum-v0", input: #"{"state": {"theta": 0, "thetadot": 1e300}, "actions": [[0]]}"#,
                   message: "obs[2] is inf, not a finite number"),
        ReplayCase(env: "Pendulum-v0", input: #"{"state": {"theta": 0, "thetadot": 0}, "actions": [[1e300]]}"#,
                   message: "actions[0][0]: 1e+300 does not fit in a 32-bit float"),
        ReplayCase(env: "Acrobot-v1", input: #"{"state": {"s": [0, 0, 1e300, 0]}, "actions": [[2]]}"#,
                   message: "not a finite number"),
    ])
    func replay(_ c: ReplayCase) throws {
        let r = try runAsym(["env", "replay", "--env", c.env, "--input", "-"], stdin: c.input)
        expectFailure(Outcome(status: r.status, signaled: false, stdout: r.stdout, stderr: r.stderr), code: 2, message: c.message)
    }

    /// Gymnasium's angle wrap loops by whole periods; at 1e300 a period is
    /// below the float spacing, and the loop never ended.
    @Test("env replay: a huge Acrobot angle does not hang")
    func hugeAngle() throws {
        let started = try startAsym(["env", "replay", "--env", "Acrobot-v1", "--input", "-"],
                                    input: #"{"state": {"s": [1e300, 0, 0, 0]}, "actions": [[2]]}"#)
        let r = finish(started, timeout: 30)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"steps\""))
    }
}
