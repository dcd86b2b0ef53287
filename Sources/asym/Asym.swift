import ArgumentParser
import Foundation
import Nets
import Envs

@main
struct Asym: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asym",
        abstract: "Regenerate and extend \"Good Actors can come in Smaller Sizes\" (Mysore et al. 2021).",
        discussion: """
        Asym trains actor-critic agents whose actor and critic sizes are chosen
        independently, and counts what the smaller actor saves.

        Examples:
          asym train --algo td3 --env Pendulum-v0 --actor 4,4 --critic 16,16 \\
                     --steps 20000
          asym env list
          asym params --obs 3 --act 1 --actor 4,4 --baseline 16,16

        Exit codes: 0 success, 2 bad input (usage, unknown name, malformed file), 1 failure.
        """,
        version: AsymVersion.string,
        subcommands: [Train.self, Env.self, Params.self, Validate.self]
    )

    /// Parses, runs, and maps errors to the exit codes the help promises:
    /// bad input exits 2 (argparse's convention, not swift-argument-parser's 64).
    static func main() {
        setSingleThreadedBLAS()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as UserError {
            FileHandle.standardError.write(Data("asym: \(error.message)\n".utf8))
            Foundation.exit(error.exitCode)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

enum AsymVersion {
    static let string = "0.1.0"
}

/// An error to show the user as one line, with its exit code.
struct UserError: Error {
    let message: String
    let exitCode: Int32
}

/// Runs library code and turns its errors into one-line user errors: errors
/// about the input (unknown names, malformed files) exit 2, others 1.
func userFacing<T>(_ body: () throws -> T) throws -> T {
    do { return try body() }
    catch let e as UserError { throw e }
    catch let e as EnvError {
        switch e {
        case .modelNotFound, .modelLoad: throw UserError(message: e.description, exitCode: 1)   // setup, not input
        default: throw UserError(message: e.description, exitCode: 2)
        }
    } catch let e as CustomStringConvertible & Error {
        throw UserError(message: e.description, exitCode: 2)
    } catch {
        throw UserError(message: error.localizedDescription, exitCode: 2)
    }
}

/// Runs work that can fail for reasons other than the input (a full disk, a
/// killed writer) and turns its errors into one line with exit code 1.
func operational<T>(_ body: () throws -> T) throws -> T {
    do { return try body() }
    catch let e as UserError { throw e }
    catch let e as CustomStringConvertible & Error { throw UserError(message: e.description, exitCode: 1) }
    catch { throw UserError(message: error.localizedDescription, exitCode: 1) }
}
