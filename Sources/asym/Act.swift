import ArgumentParser
import Foundation
import Report
import Store

extension Asym {
    struct Act: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a stored actor's deterministic actions for the observations you give it.",
            discussion: """
            Reads the train artifact KEY (a unique key prefix is enough) and, for
            each line of input holding one observation as a JSON array of numbers,
            prints one line with the action as a JSON array: the action the agent
            evaluates with, through the same code (tanh-bounded for DDPG and TD3,
            limit·tanh(μ) for SAC, the clipped mean for PPO and TRPO, the argmax
            index for discrete actions). Every number is printed with enough digits
            to read back the same float32, so other implementations (a torch
            network loaded from the artifact, the C of `asym export`) can be
            compared with it exactly. Blank lines are skipped.

            Examples:
              echo '[0.5, -0.2, 0.1]' | asym act 3fa2
              asym act 3fa2 --input observations.jsonl > actions.jsonl
            """)

        @OptionGroup var storeOption: StoreOption
        @Argument(help: "A train artifact's key or a unique prefix of one.")
        var key: String
        @Option(help: "File of observations, one JSON array per line (default: standard input; - is standard input).")
        var input: String = "-"

        func run() throws {
            let (actor, _, _) = try storedActor(key, in: storeOption.resolved)
            let source = input == "-" ? "standard input" : input
            let data: Data
            if input == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let d = FileManager.default.contents(atPath: input) else {
                    throw UserError(message: "\(input): cannot read the observations file", exitCode: 2)
                }
                data = d
            }
            var output = ""
            for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let text = line.trimmingCharacters(in: .whitespaces)
                if text.isEmpty { continue }
                let observation = try Self.observation(text, where: "\(source):\(index + 1)", count: actor.observationCount)
                output += "[" + actor.action(observation).map { "\($0)" }.joined(separator: ", ") + "]\n"
            }
            try StandardOutput.write(output)
        }

        /// One observation: a JSON array of `count` finite numbers, else one line naming the place.
        static func observation(_ text: String, where place: String, count: Int) throws -> [Float] {
            // JSONDecoder, not JSONSerialization: it refuses true/false as numbers.
            guard let values = try? JSONDecoder().decode([Double].self, from: Data(text.utf8)) else {
                throw UserError(message: "\(place): expected a JSON array of \(count) numbers, got '\(text.prefix(40))'", exitCode: 2)
            }
            let numbers = values.map(Float.init)
            guard numbers.allSatisfy(\.isFinite) else {
                throw UserError(message: "\(place): \(text.prefix(40)) does not fit in float32", exitCode: 2)
            }
            guard numbers.count == count else {
                throw UserError(message: "\(place): the observation has \(numbers.count) values; this actor reads \(count)", exitCode: 2)
            }
            return numbers
        }
    }
}
