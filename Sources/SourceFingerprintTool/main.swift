import Foundation

// Writes a Swift file that embeds source files (base64), for the SourceFingerprint
// build-tool plugin. Usage: SourceFingerprintTool OUTPUT (NAME PATH)...
let arguments = Array(CommandLine.arguments.dropFirst())
guard let output = arguments.first, arguments.count % 2 == 1 else {
    FileHandle.standardError.write(Data("usage: SourceFingerprintTool OUTPUT (NAME PATH)...\n".utf8))
    exit(2)
}
var entries: [(name: String, base64: String)] = []
for i in stride(from: 1, to: arguments.count, by: 2) {
    guard let contents = FileManager.default.contents(atPath: arguments[i + 1]) else {
        FileHandle.standardError.write(Data("SourceFingerprintTool: cannot read \(arguments[i + 1])\n".utf8))
        exit(1)
    }
    entries.append((arguments[i], contents.base64EncodedString()))
}
entries.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
var text = """
// Generated at build time by the SourceFingerprint plugin; not in git.
// The source files whose text decides a run's numbers, base64-encoded.
enum FingerprintedSources {
    static let files: [(name: String, base64: String)] = [

"""
for entry in entries { text += "        (\"\(entry.name)\", \"\(entry.base64)\"),\n" }
text += "    ]\n}\n"
let data = Data(text.utf8)
// Unchanged contents keep the file's date, so nothing downstream rebuilds.
if FileManager.default.contents(atPath: output) != data {
    guard FileManager.default.createFile(atPath: output, contents: data) else {
        FileHandle.standardError.write(Data("SourceFingerprintTool: cannot write \(output)\n".utf8))
        exit(1)
    }
}
