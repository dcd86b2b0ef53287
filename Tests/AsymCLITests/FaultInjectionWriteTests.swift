import Foundation
import Testing
import Nets
import Store

/// Checkpoint writes under hostile conditions: a full disk, a path that is a
/// device, FIFO, directory or symlink, a path that cannot be created, and
/// leftover temporary files of a killed writer. The write path is the store's
/// (`AtomicWrite`, from branch store-writepath); these cases check what a user
/// of `asym train` sees of it.
@Suite("fault injection: checkpoint writes", .serialized)
struct FaultInjectionWriteTests {
    static let train = ["train", "--algo", "td3", "--env", "Pendulum-v0", "--actor", "4", "--critic", "8", "--seed", "3",
                        "--set", "start_steps=100", "--set", "update_after=100", "--set", "batch_size=16", "--eval-episodes", "1"]

    static var isRoot: Bool { getuid() == 0 }

    /// A bad --checkpoint path is refused before training (exit 2, one line naming
    /// it), not after the whole run, and whatever is at the path is left alone.
    @Test("unwritable checkpoint paths are refused before training", arguments: [
        ("directory", "it is a folder"), ("empty", "the path is empty"), ("trailing slash", "ends in '/'"),
        ("/proc", "cannot create a file in /proc"), ("300-character name", "the limit is 255"),
        ("fifo", "device or special file"), ("device", "device or special file"),
    ])
    func badPath(_ kind: String, reason: String) throws {
        let dir = try scratchDirectory("path")
        defer { try? FileManager.default.removeItem(at: dir) }
        var path = dir.appendingPathComponent("run.h5").path
        switch kind {
        case "directory": try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        case "empty": path = ""
        case "trailing slash": path += "/"
        case "/proc": path = "/proc/asym-checkpoint.h5"
        case "300-character name": path = dir.appendingPathComponent(String(repeating: "a", count: 297) + ".h5").path
        case "fifo": #expect(mkfifo(path, 0o644) == 0)
        case "device":
            // A private node of the /dev/full device (never the real one: today's code would replace it).
            guard Self.isRoot else { return }
            #expect(mknod(path, S_IFCHR | 0o666, dev_t(1 << 8 | 7)) == 0)   // major 1, minor 7 (glibc's makedev)
        default: Issue.record("unknown case \(kind)")
        }
        let before = fileType(path)
        let r = try run(Self.train + ["--steps", "20000", "--checkpoint", path])
        expectFailure(r, code: 2, message: reason)
        #expect(!r.stderr.contains("steps 20000/20000"), "the run trained before refusing the path")
        #expect(fileType(path) == before, "the run replaced what was at \(path)")
    }

    /// A symlink is not silently replaced by a regular file: the store refuses
    /// it and names its target, so the user writes there on purpose.
    @Test("a symlink as checkpoint path is refused, never replaced")
    func symlink() throws {
        let dir = try scratchDirectory("link")
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("run.h5").path, target = dir.appendingPathComponent("target.h5").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let r = try run(Self.train + ["--steps", "300", "--checkpoint", link])
        expectFailure(r, code: 2, message: "\(link): cannot write here (it is a symbolic link to \(target)")
        #expect(fileType(link) == "symlink", "the link was replaced by a \(fileType(link))")
        #expect(fileType(target) == "missing")
    }

    /// A disk that fills during the write keeps the previous checkpoint whole
    /// and says so in one line (exit 1), instead of renaming a damaged file
    /// over it and crashing. On a 100 kB tmpfs when the test may mount one,
    /// else under `ulimit -f` (EFBIG).
    @Test("a full disk keeps the last good checkpoint")
    func diskFull() throws {
        let dir = try scratchDirectory("full")
        defer { try? FileManager.default.removeItem(at: dir) }
        let mounted = Self.isRoot && mountTmpfs(at: dir.path, size: "100k")
        defer { if mounted { unmountTmpfs(dir.path) } }
        let checkpoint = dir.appendingPathComponent("run.h5").path
        let first = try run(Self.train + ["--steps", "300", "--checkpoint", checkpoint])
        #expect(first.status == 0, "\(first.stderr)")
        // Resuming to 3,000 steps makes a checkpoint of about 140 kB: more than the space or the file-size limit.
        let args = Self.train + ["--steps", "3000", "--resume", checkpoint, "--checkpoint", checkpoint]
        let good = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
        let r = try run(args, shellRedirect: nil, limitFileBlocks: mounted ? nil : 100)
        expectFailure(r, code: 1, message: mounted ? "the disk is full (ENOSPC)" : "the file size limit is reached (EFBIG")
        #expect(r.stderr.contains("\(checkpoint): write failed") && r.stderr.contains("the previous file is unchanged"), "\(r.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: checkpoint)) == good, "the last good checkpoint was changed")
        #expect(try StateFile.read(checkpoint).integers["steps_done"] == [300])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "temporary files left behind: \(leftovers)")
    }

    /// A writer killed mid-write leaves `.NAME.<pid>.tmp`; the next run removes
    /// those of processes that no longer exist.
    @Test("temporary files of dead writers are cleaned up on the next run")
    func leftoverTemporary() throws {
        let dir = try scratchDirectory("leftover")
        defer { try? FileManager.default.removeItem(at: dir) }
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let leftover = dir.appendingPathComponent(".run.h5.\(dead.processIdentifier).tmp").path
        #expect(FileManager.default.createFile(atPath: leftover, contents: Data("half a checkpoint".utf8)))
        let r = try run(Self.train + ["--steps", "300", "--checkpoint", dir.appendingPathComponent("run.h5").path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: leftover), "the dead writer's temporary file is still there")
    }
}

/// "regular", "directory", "symlink", "fifo", "char device", "missing".
func fileType(_ path: String) -> String {
    var st = stat()
    guard lstat(path, &st) == 0 else { return "missing" }
    switch st.st_mode & S_IFMT {
    case S_IFREG: return "regular"
    case S_IFDIR: return "directory"
    case S_IFLNK: return "symlink"
    case S_IFIFO: return "fifo"
    case S_IFCHR: return "char device"
    default: return "other"
    }
}

func mountTmpfs(at path: String, size: String) -> Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/mount")
    p.arguments = ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path]
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
}

func unmountTmpfs(_ path: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/umount")
    p.arguments = [path]
    try? p.run()
    p.waitUntilExit()
}

/// Runs `asym` under a file-size limit of `limitFileBlocks` 512-byte blocks (`ulimit -f`), if given.
func run(_ arguments: [String], shellRedirect: String?, limitFileBlocks: Int?) throws -> Outcome {
    guard let limitFileBlocks else { return try run(arguments) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "ulimit -f \(limitFileBlocks) && exec \"$0\" \"$@\"", asymBinary().path] + arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return finish((process, out, err))
}
