import Foundation
import PackagePlugin

/// Embeds the source files that decide a run's numbers (the Kernels, Nets,
/// Envs and Agents modules) into the Store module at build time, so every cache key can
/// hash the code that produced it. Editing Report, Pipeline, the CLI or the
/// README leaves these files, and so every key, unchanged; editing SAC does not.
@main
struct SourceFingerprint: BuildToolPlugin {
    static let fingerprinted = ["Kernels", "Nets", "Envs", "Agents"]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        var inputs: [URL] = []
        var arguments: [String] = []
        for module in context.package.targets where Self.fingerprinted.contains(module.name) {
            guard let sources = module as? SourceModuleTarget else { continue }
            let marker = "/Sources/\(module.name)/"
            for file in sources.sourceFiles {
                let path = file.url.standardizedFileURL.path
                // Names relative to the module's folder, so the checkout's location changes nothing.
                let relative = path.range(of: marker, options: .backwards).map { String(path[$0.upperBound...]) }
                    ?? file.url.lastPathComponent
                inputs.append(file.url)
                arguments += [module.name + "/" + relative, path]
            }
        }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("FingerprintedSources.swift")
        return [.buildCommand(displayName: "Fingerprinting \(Self.fingerprinted.joined(separator: ", "))",
                              executable: try context.tool(named: "SourceFingerprintTool").url,
                              arguments: [output.path] + arguments,
                              inputFiles: inputs, outputFiles: [output])]
    }
}
