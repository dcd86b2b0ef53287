import Foundation
import Testing
import Store

/// A SAC run long enough to be killed mid-way (checkpoints every 500 steps).
let storeRun = ["train", "--algo", "sac", "--env", "Pendulum-v1", "--actor", "4", "--critic", "16", "--steps", "4000",
                "--seed", "3", "--eval-episodes", "2", "--set", "start_steps=200", "--set", "update_after=200"]

func storeObjects(_ store: String) -> [String] {
    let objects = store + "/objects"
    return ((try? FileManager.default.subpathsOfDirectory(atPath: objects)) ?? []).filter { $0.hasSuffix(".h5") }.sorted()
        .map { objects + "/" + $0 }
}

func keyLine(_ stderr: String) -> String? {
    stderr.split(separator: "\n").first { $0.hasPrefix("key ") }.map { String($0.dropFirst(4)) }
}

@Suite("asym train through the store", .serialized)
struct StoreCLITests {
    @Test("killed after a checkpoint and run again: same key, byte-identical datasets; a third run computes nothing")
    func killAndRerun() throws {
        let reference = scratchFolder("store-ref"), store = scratchFolder("store-kill")
        defer { try? FileManager.default.removeItem(atPath: reference); try? FileManager.default.removeItem(atPath: store) }
        let uninterrupted = try runAsym(storeRun + ["--store", reference, "--checkpoint-every", "500"])
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        let key = try #require(keyLine(uninterrupted.stderr))

        let process = Process()
        process.executableURL = asymBinary()
        process.arguments = storeRun + ["--store", store, "--checkpoint-every", "500"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let partial = "\(store)/partial/\(key).h5"
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: partial) && process.isRunning && Date() < deadline { usleep(2_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the run finished before it could be killed")

        let resumed = try runAsym(storeRun + ["--store", store, "--checkpoint-every", "500"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(keyLine(resumed.stderr) == key)
        #expect(resumed.stderr.contains("resuming key"), "\(resumed.stderr)")
        let a = try Artifact.read(try #require(storeObjects(reference).first))
        let b = try Artifact.read(try #require(storeObjects(store).first))
        #expect(a.arrays == b.arrays)
        #expect(!a.arrays.isEmpty && a.arrays.keys.contains("eval") && a.arrays.keys.contains("weights/actor/0.weight"))
        #expect(!FileManager.default.fileExists(atPath: partial))

        // The same datasets, bit for bit, in the files themselves.
        let objectBefore = try Data(contentsOf: URL(fileURLWithPath: storeObjects(store)[0]))
        let third = try runAsym(storeRun + ["--store", store])
        #expect(third.status == 0)
        #expect(third.stdout == resumed.stdout)
        #expect(!third.stderr.contains("steps/s"), "the third run trained: \(third.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: storeObjects(store)[0])) == objectBefore)
    }

    @Test("flipped bytes in an object are detected, quarantined and recomputed to an equal result")
    func flippedBytes() throws {
        let store = scratchFolder("store-flip")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let first = try runAsym(storeRun + ["--store", store])
        #expect(first.status == 0, "\(first.stderr)")
        let path = try #require(storeObjects(store).first)
        let original = try Artifact.read(path)
        // Flip bytes inside the actor's first weight matrix (its raw data, found by value).
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let weights = try #require(original.arrays["weights/critic/q1/2.weight"])
        guard case .floats(let values) = weights.values else { Issue.record("weights are not floats"); return }
        let pattern = values.prefix(4).withUnsafeBytes { [UInt8]($0) }
        let at = try #require((0..<(bytes.count - pattern.count)).first { Array(bytes[$0..<($0 + pattern.count)]) == pattern })
        bytes[at] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let again = try runAsym(storeRun + ["--store", store])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("damaged (checksum mismatch)") && again.stderr.contains("recomputing"), "\(again.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: store + "/quarantine").count == 1)
        #expect(try Artifact.read(path).arrays == original.arrays)
        #expect(again.stdout.split(separator: ",").prefix(8) == first.stdout.split(separator: ",").prefix(8))
    }

    @Test("two processes with the same spec started together: one computes, the other reports the same result, one object")
    func concurrent() throws {
        let store = scratchFolder("store-two")
        defer { try? FileManager.default.removeItem(atPath: store) }
        nonisolated(unsafe) var results: [(status: Int32, stdout: String, stderr: String)?] = [nil, nil]
        let group = DispatchGroup()
        let lock = NSLock()   // the two writes to `results` must not race (an array is one value)
        for i in 0..<2 {
            group.enter()
            DispatchQueue.global().async {
                let outcome = try? runAsym(storeRun + ["--store", store])
                lock.withLock { results[i] = outcome }
                group.leave()
            }
        }
        group.wait()
        let a = try #require(results[0]), b = try #require(results[1])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\n\(b.stderr)")
        #expect(a.stdout == b.stdout && !a.stdout.isEmpty)
        #expect(storeObjects(store).count == 1)
        // Exactly one of them trained.
        #expect([a, b].filter { $0.stderr.contains("steps/s") }.count == 1, "\(a.stderr)\n---\n\(b.stderr)")
    }

    @Test("--no-wait names the process holding the key, exit 1")
    func noWait() throws {
        let store = scratchFolder("store-nowait")
        defer { try? FileManager.default.removeItem(atPath: store) }
        let long = storeRun.map { $0 == "4000" ? "400000" : $0 } + ["--store", store]
        let holder = Process()
        holder.executableURL = asymBinary()
        holder.arguments = long
        holder.environment = ProcessInfo.processInfo.environment.merging(["ASYM_STORE": store]) { $1 }
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        defer { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() }
        let locks = store + "/locks"
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: locks)) ?? []
            if let name = names.first, let text = FileManager.default.contents(atPath: locks + "/" + name), !text.isEmpty { break }
            usleep(5_000)
        }
        let second = try runAsym(long + ["--no-wait"])
        #expect(second.status == 1)
        let lines = second.stderr.split(separator: "\n").filter { $0.hasPrefix("asym: ") }
        #expect(lines.count == 1 && lines[0].contains("being computed by pid \(holder.processIdentifier)"), "\(second.stderr)")
    }

    @Test("a read-only store is refused in one line before training, exit 1")
    func readOnlyStore() throws {
        let store = scratchFolder("store-ro")
        defer { _ = try? runShell("umount '\(store)'"); try? FileManager.default.removeItem(atPath: store) }
        guard (try? runShell("mount -t tmpfs -o size=1m,ro tmpfs '\(store)' 2>/dev/null"))?.status == 0 else {
            print("skipped: cannot mount a read-only tmpfs here")
            return
        }
        let result = try runAsym(storeRun + ["--store", store])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("asym: ") }
        #expect(lines.count == 1 && lines[0].contains("read-only"), "\(result.stderr)")
        #expect(!result.stderr.contains("steps/s"))
    }
}
