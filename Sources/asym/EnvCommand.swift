import ArgumentParser
import Envs
import Foundation

extension Asym {
    struct Env: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect and replay the environments.",
            subcommands: [List.self, Replay.self])
    }
}

extension Asym.Env {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the registered environments: observation size, action space, episode length.")

        func run() throws {
            let rows = EnvRegistry.all.map { entry in
                [entry.id, String(entry.observationCount), describe(entry.actionSpace), String(entry.maxEpisodeSteps)]
            }
            let header = ["id", "obs", "action space", "max steps"]
            let widths = (0..<header.count).map { column in
                ([header] + rows).map { $0[column].count }.max() ?? 0
            }
            try StandardOutput.line(([header] + rows).map { row in
                zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
            }.joined(separator: "\n"))
        }

        func describe(_ space: Space) -> String {
            switch space {
            case .discrete(let n):
                return "Discrete(\(n))"
            case .box(let low, let high):
                let bounds = zip(low, high).map { "[\($0), \($1)]" }
                // Equal bounds on every dimension print once.
                return "Box(\(low.count)) " + (Set(bounds).count == 1 ? bounds[0] : bounds.joined(separator: " "))
            }
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set an environment's state, apply actions, print every observation and reward as JSON.",
            discussion: """
            The input file holds {"state": S, "actions": [[…], …]}, where S is
              Pendulum-v0/-v1   {"theta": θ, "thetadot": θ̇}
              Acrobot-v1        {"s": [θ1, θ2, θ̇1, θ̇2]}
              ToyTracking-*     {"offset": x, "state": s}
              MuJoCo tasks      {"qpos": […], "qvel": […]}
            and a discrete action is its index, e.g. [2]. The output is
            {"obs0": […], "steps": [{"obs": […], "reward": r, "terminated": b, "truncated": b}, …]}.
            Malformed input, or a state or action that makes the simulation produce a
            non-finite number, prints one line naming the file and field, and exits with 2.

            Examples:
              asym env replay --env Pendulum-v0 --input swing.json
              echo '{"state": {"s": [0,0,0,0]}, "actions": [[2],[2]]}' | asym env replay --env Acrobot-v1 --input -
            """)

        @Option(help: "Environment id with version (see `asym env list`).")
        var env: String

        @Option(help: ArgumentHelp("The replay input as JSON ('-' reads standard input).", valueName: "file"))
        var input: String

        func run() throws {
            do {
                let data: Data
                if input == "-" {
                    data = FileHandle.standardInput.readDataToEndOfFile()
                } else {
                    guard let contents = FileManager.default.contents(atPath: input) else {
                        throw EnvError.invalidReplayInput("\(input): cannot read the file")
                    }
                    data = contents
                }
                let result = try Envs.Replay.run(envID: env, input: data,
                                                 source: input == "-" ? "<stdin>" : input)
                try StandardOutput.write(result.json)
            } catch let error as EnvError {
                switch error {
                case .unknownEnvironment, .invalidReplayInput:
                    // Bad input (unknown id, unreadable or malformed file, a state the simulation cannot follow).
                    throw UserError(message: error.description, exitCode: 2)
                default:
                    throw UserError(message: error.description, exitCode: 1)    // e.g. a MuJoCo model that is not installed
                }
            }
        }
    }
}
