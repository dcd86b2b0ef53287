import Testing
import Foundation
import Nets
@testable import Store

/// A fresh empty folder for one test.
func freshFolder(_ name: String) -> String {
    let path = temporaryPath("\(name)-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.removeItem(atPath: path)
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func smallState(_ value: Float) -> StateDict {
    var s = StateDict()
    s.floats["weights/actor"] = [Float](repeating: value, count: 64)
    return s
}

func temporaries(in folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".tmp") }
}

@Suite("The write path refuses what it must not replace")
struct WriteTargetTests {
    @Test("a folder, a device and a symbolic link are refused and left as they were")
    func nonRegularTargets() throws {
        let folder = freshFolder("targets")
        let directory = folder + "/dir.h5"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        #expect { try StateFile.write(smallState(1), to: directory) } throws: {
            "\($0)".contains("it is a folder")
        }
        var info = stat()
        #expect(lstat(directory, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR)

        // /dev/null is a character device everyone may open; it must stay one.
        #expect { try StateFile.write(smallState(1), to: "/dev/null") } throws: {
            "\($0)".contains("device or special file")
        }
        #expect(lstat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)

        let real = folder + "/real.h5", link = folder + "/link.h5"
        try StateFile.write(smallState(1), to: real)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        #expect { try StateFile.write(smallState(2), to: link) } throws: {
            "\($0)".contains("symbolic link to \(real)")
        }
        #expect(lstat(link, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        #expect(try StateFile.read(real) == smallState(1))
        #expect(temporaries(in: folder).isEmpty)
    }

    @Test("paths that cannot name a writable file are refused before any work", arguments: [
        ("", "the path is empty"),
        ("FOLDER/sub/", "ends in '/'"),
        ("FOLDER", "it is a folder"),
        ("/proc/x.h5", "cannot create a file in /proc"),
        ("FOLDER/" + String(repeating: "n", count: 300), "300 bytes long; the limit is 255"),
    ])
    func badPaths(_ template: String, _ reason: String) throws {
        let folder = freshFolder("paths")
        let path = template.replacingOccurrences(of: "FOLDER", with: folder)
        #expect { try StateFile.checkWritable(path) } throws: { error in
            guard case StoreError.notWritable = error else { return false }
            return "\(error)".contains(reason) && !"\(error)".contains("\n")
        }
    }

    @Test("a writable path passes the check, its folder is created, and nothing is left behind")
    func goodPath() throws {
        let folder = freshFolder("good")
        try StateFile.checkWritable(folder + "/deeper/run.h5")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/deeper").isEmpty)
    }
}

@Suite("Temporary files of dead writers are cleaned")
struct StaleTemporaryTests {
    @Test("the next run removes a dead process's temporary file, never a live one's")
    func cleansDeadOnly() throws {
        let folder = freshFolder("stale")
        // A pid that surely existed and is gone: a child we started and reaped.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run()
        child.waitUntilExit()
        let dead = child.processIdentifier
        let host = AtomicWrite.hostTag
        let stale = ".run.h5.\(host)-\(dead)-1.tmp"
        let oldStyle = ".run.h5.\(dead).tmp"
        let live = ".run.h5.\(host)-1-1.tmp"          // pid 1 is always alive
        let foreign = ".run.h5.otherhost-\(dead)-1.tmp"  // another host's pid says nothing here
        for name in [stale, oldStyle, live, foreign, "notes.tmp"] {
            FileManager.default.createFile(atPath: folder + "/" + name, contents: Data("x".utf8))
        }
        try StateFile.checkWritable(folder + "/run.h5")
        #expect(Set(temporaries(in: folder)) == [live, foreign, "notes.tmp"])
    }

    @Test("temporary names fit the file-name limit even for long targets")
    func longNames() {
        let name = String(repeating: "a", count: 255)
        let temporary = AtomicWrite.temporaryPath(for: "/tmp/" + name)
        #expect(URL(fileURLWithPath: temporary).lastPathComponent.utf8.count <= AtomicWrite.nameLimit)
        #expect(AtomicWrite.writerPID(ofTemporary: URL(fileURLWithPath: temporary).lastPathComponent) == getpid())
    }
}

/// Mounts a tmpfs of `kilobytes` at a fresh folder, or returns nil where this
/// process may not mount (not root, or no mount namespace rights).
func mountTinyDisk(kilobytes: Int) -> String? {
    let folder = freshFolder("tiny")
    let mount = Process()
    mount.executableURL = URL(fileURLWithPath: "/bin/mount")
    mount.arguments = ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", folder]
    mount.standardError = FileHandle.nullDevice
    guard (try? mount.run()) != nil else { return nil }
    mount.waitUntilExit()
    return mount.terminationStatus == 0 ? folder : nil
}

func unmount(_ folder: String) {
    let umount = Process()
    umount.executableURL = URL(fileURLWithPath: "/bin/umount")
    umount.arguments = [folder]
    try? umount.run()
    umount.waitUntilExit()
}

@Suite("A full disk never costs the previous checkpoint")
struct FullDiskTests {
    @Test("a write that runs out of space fails with one line naming it, and the old file survives")
    func fullDisk() throws {
        guard let disk = mountTinyDisk(kilobytes: 256) else {
            // The CLI suite covers the same path with `ulimit -f` (EFBIG) where mounting is not allowed.
            print("skipped: cannot mount a tmpfs here")
            return
        }
        defer { unmount(disk) }
        let path = disk + "/r.h5"
        try StateFile.write(smallState(1), to: path, attributes: ["kind": "checkpoint"])
        var big = StateDict()
        big.floats["replay/observations"] = [Float](repeating: 0.5, count: 200_000)   // 800 kB > 256 kB
        #expect { try StateFile.write(big, to: path) } throws: { error in
            let line = "\(error)"
            return line.contains(path) && line.contains("the disk is full (ENOSPC)")
                && line.contains("previous file is unchanged") && !line.contains("\n")
        }
        #expect(try StateFile.read(path) == smallState(1))
        #expect(temporaries(in: disk).isEmpty)
        // And once there is room again, the same path takes a new file.
        try StateFile.write(smallState(3), to: path)
        #expect(try StateFile.read(path) == smallState(3))
    }
    // EFBIG (`ulimit -f`) is tested through the CLI, in a child shell: a limit set
    // here would apply to every test running in this process.
}
