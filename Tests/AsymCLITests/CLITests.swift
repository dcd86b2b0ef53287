import Testing
import Foundation

@Suite("asym command line")
struct CLITests {
    @Test("--version prints the version")
    func version() throws {
        let r = try runAsym(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: "\n").first?.split(separator: ".").count == 3)   // then the numerics line
    }

    @Test("--help lists the subcommands and the exit codes")
    func help() throws {
        let r = try runAsym(["--help"])
        #expect(r.status == 0)
        for word in ["train", "params", "Exit codes"] { #expect(r.stdout.contains(word), "missing \(word)") }
    }

    @Test("params prints both counts and the reduction to two decimals")
    func params() throws {
        let r = try runAsym(["params", "--obs", "3", "--act", "1", "--actor", "4,4", "--baseline", "16,16"])
        #expect(r.status == 0)
        #expect(r.stdout == "actor [4,4]: 41 parameters\nbaseline [16,16]: 353 parameters\nreduction: 88.39%\n")
    }

    @Test("params accepts the empty actor of the toy problem")
    func paramsEmptyActor() throws {
        let r = try runAsym(["params", "--obs", "1", "--act", "1", "--actor", ""])
        #expect(r.status == 0)
        #expect(r.stdout == "actor []: 2 parameters\n")
    }

    @Test("bad input exits 2 with one readable message, no stack trace", arguments: [
        ["params", "--obs", "0", "--act", "1", "--actor", "4"],
        ["params", "--obs", "3", "--act", "1", "--actor", "4,x"],
        ["train", "--algo", "sacc", "--env", "Pendulum-v0", "--actor", "4", "--critic", "4", "--steps", "10"],
        ["train", "--algo", "sac", "--env", "Nowhere-v9", "--actor", "4", "--critic", "4", "--steps", "10"],
        ["frobnicate"],
    ])
    func badInput(_ arguments: [String]) throws {
        let r = try runAsym(arguments)
        #expect(r.status == 2, "exit \(r.status): \(r.stderr)")
        #expect(!r.stderr.isEmpty)
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Stack dump"))
    }

    @Test("an unknown environment is named, with the known ones")
    func unknownEnvironment() throws {
        let r = try runAsym(["train", "--algo", "sac", "--env", "Nowhere-v9", "--actor", "4", "--critic", "4", "--steps", "10"])
        #expect(r.stderr.contains("Nowhere-v9"))
    }

    @Test("train ends with one JSON line whose fields come in the documented order")
    func trainSummaryOrder() throws {
        let r = try runAsym(["train", "--algo", "ppo", "--env", "ToyTracking-v0", "--actor", "", "--critic", "16,16",
                             "--steps", "2048", "--eval-episodes", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(r.stdout.hasPrefix(#"{"algo":"ppo","env":"ToyTracking-v0","actor":[],"critic":[16,16],"seed":0,"steps":2048,"eval_return_mean":"#))
        let keys = ["eval_return_std", "steps_per_second"]
        for k in keys { #expect(r.stdout.contains("\"\(k)\":")) }
    }

    @Test("--print-config shows every hyper-parameter, overrides applied, without training")
    func printConfig() throws {
        let r = try runAsym(["train", "--algo", "td3", "--env", "Pendulum-v0", "--actor", "4,4", "--critic", "16,16",
                             "--steps", "1", "--set", "gamma=0.9", "--print-config"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""gamma":0.9"#))
        #expect(r.stdout.contains(#""policy_delay":2"#))
    }
}
