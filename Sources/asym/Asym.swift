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

        Numerics: --numerics portable|native (anywhere on the command line, or
        ASYM_NUMERICS) chooses the BLAS kernel before anything is computed.
        portable (the default) gives the same bits on every x86-64 CPU with
        AVX2 and FMA; native uses this CPU's fastest kernel (e.g. AVX-512) and
        keys its results apart. `asym --version` shows the kernel in use;
        checkpoints record it and resume only under the same numerics.

        Exit codes: 0 success, 2 bad input (usage, unknown name, malformed file), 1 failure.
        """,
        version: AsymVersion.string + "\n" + Numerics.summary,
        subcommands: [Train.self, Run.self, Status.self, Diff.self, Validate.self, Exec.self, Env.self, Params.self, Ls.self, Show.self, Gc.self, Export.self, Act.self]
    )

    /// Parses, runs, and maps errors to the exit codes the help promises:
    /// bad input exits 2 (argparse's convention, not swift-argument-parser's 64).
    /// Every failure is one line on stderr starting `asym: ` (swift-argument-parser's
    /// own messages add a usage block and a help hint: three or four lines).
    static func main() {
        // First: the BLAS kernel is chosen before OpenBLAS computes anything (this may restart the process).
        let arguments = Numerics.prepareProcess(tool: "asym", arguments: Array(CommandLine.arguments.dropFirst()))
        setSingleThreadedBLAS()
        StandardOutput.guardClosedDescriptor()
        signal(SIGPIPE, SIG_IGN)   // a closed pipe is a write error we report, not a silent death
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let error as UserError {
            fail(error.message, exitCode: error.exitCode)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }   // --help, --version
            let message = oneLine(Self.message(for: error))
            if code == .validationFailure { fail(message, exitCode: 2) }
            if message.isEmpty { Foundation.exit(code.rawValue) }
            fail(message, exitCode: code.rawValue)
        }
    }

    static func fail(_ message: String, exitCode: Int32) -> Never {
        FileHandle.standardError.write(Data("asym: \(oneLine(message))\n".utf8))
        Foundation.exit(exitCode)
    }

    /// The first non-empty line, without swift-argument-parser's "Error: " prefix.
    static func oneLine(_ message: String) -> String {
        var line = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty } ?? ""
        if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
        return line
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
