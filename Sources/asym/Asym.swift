import ArgumentParser
import Nets

@main
struct Asym: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asym",
        abstract: "Regenerate and extend \"Good Actors can come in Smaller Sizes\" (Mysore et al. 2021).",
        discussion: """
        Asym trains actor-critic agents whose actor and critic sizes are chosen
        independently, and counts what the smaller actor saves.

        Examples:
          asym params --obs 3 --act 1 --actor 4,4 --baseline 16,16
          asym --version
        """,
        version: AsymVersion.string,
        subcommands: [Params.self, Env.self]
    )
}

enum AsymVersion {
    static let string = "0.1.0"
}
