import Foundation
import Store
import Testing

/// A small SAC run on Pendulum whose checkpoints grow with its replay buffer.
func smallSACRun(steps: Int) -> [String] {
    ["train", "--algo", "sac", "--env", "Pendulum-v1", "--actor", "4", "--critic", "8", "--steps", "\(steps)",
     "--eval-episodes", "1", "--set", "start_steps=100", "--set", "update_after=100", "--set", "update_every=50"]
}

func scratchFolder(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("asym-\(name)-\(UUID().uuidString.prefix(8))").path
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("asym train checks where its checkpoint goes", .serialized)
struct CheckpointPathTests {
    @Test("a path that cannot take a checkpoint is refused at once, in one line, exit 2", arguments: [
        ("", "the path is empty"),
        ("FOLDER/", "ends in '/'"),
        ("FOLDER", "it is a folder"),
        ("/proc/x.h5", "cannot create a file in /proc"),
        ("/dev/null", "device or special file"),
        ("FOLDER/" + String(repeating: "n", count: 300), "the limit is 255"),
    ])
    func refused(_ template: String, _ reason: String) throws {
        let folder = scratchFolder("badpath")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = template.replacingOccurrences(of: "FOLDER", with: folder)
        // A budget that would take minutes: the refusal must come before training.
        let result = try runAsym(smallSACRun(steps: 10_000_000) + ["--checkpoint", path])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("asym: ") && lines[0].contains(reason), "\(result.stderr)")
        var info = stat()
        #expect(lstat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
    }

    @Test("a checkpoint write over the file size limit (ulimit -f) fails in one line and keeps the previous checkpoint")
    func fileSizeLimit() throws {
        let folder = scratchFolder("efbig")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let checkpoint = folder + "/r.h5"
        let first = try runAsym(smallSACRun(steps: 300) + ["--checkpoint", checkpoint])
        #expect(first.status == 0, "\(first.stderr)")
        let good = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        // Room for a file a little larger than the good one; the resumed run's next
        // checkpoint holds 3,000 more transitions (≈ 100 kB) and cannot fit.
        let limitKB = good.count / 1024 + 16
        let command = "ulimit -f \(limitKB); exec " + ([asymBinary().path] + smallSACRun(steps: 6000)
            + ["--resume", checkpoint, "--checkpoint", checkpoint, "--checkpoint-every", "3000"])
            .map { "'\($0)'" }.joined(separator: " ")
        let limited = try runShell(command)
        #expect(limited.status == 1, "\(limited.stderr)")
        let lines = limited.stderr.split(separator: "\n").filter { $0.hasPrefix("asym: ") }
        #expect(lines.count == 1 && lines[0].contains(checkpoint) && lines[0].contains("file size limit")
                && lines[0].contains("previous file is unchanged"), "\(limited.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: checkpoint)) == good)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".tmp") }.isEmpty)
        // The kept checkpoint still resumes.
        let again = try runAsym(smallSACRun(steps: 400) + ["--resume", checkpoint])
        #expect(again.status == 0, "\(again.stderr)")
    }

    @Test("a full disk (a tiny tmpfs, where this test may mount one) keeps the previous checkpoint and exits 1")
    func fullDisk() throws {
        let folder = scratchFolder("tinydisk")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        guard (try? runShell("mount -t tmpfs -o size=200k tmpfs '\(folder)' 2>/dev/null"))?.status == 0 else {
            print("skipped: cannot mount a tmpfs here (the ulimit -f test covers the write path)")
            return
        }
        defer { _ = try? runShell("umount '\(folder)'") }
        let checkpoint = folder + "/r.h5"
        let first = try runAsym(smallSACRun(steps: 300) + ["--checkpoint", checkpoint])
        #expect(first.status == 0, "\(first.stderr)")
        let good = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        let full = try runAsym(smallSACRun(steps: 12_000) + ["--resume", checkpoint, "--checkpoint", checkpoint,
                                                             "--checkpoint-every", "6000"])
        #expect(full.status == 1, "\(full.stderr)")
        let lines = full.stderr.split(separator: "\n").filter { $0.hasPrefix("asym: ") }
        #expect(lines.count == 1 && lines[0].contains("the disk is full (ENOSPC)"), "\(full.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: checkpoint)) == good)
    }
}

/// Runs a command line with /bin/bash (for `ulimit`, whose -f counts 1024-byte blocks there).
func runShell(_ command: String) throws -> (status: Int32, stdout: String, stderr: String) {
    let r = try Subprocess.capture(["-c", command], executable: URL(fileURLWithPath: "/bin/bash"))
    return (r.status, r.stdout, r.stderr)
}
