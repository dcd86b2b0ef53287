import Foundation
import Testing
import Store
@testable import Pipeline

/// The Slurm executor's plan without a cluster: which nodes share a job array,
/// which dependency a submission waits on, which sbatch arguments it gets, and
/// the `slurm:` resources of a pipeline file (never part of a key).
struct SlurmPlanTests {
    /// Every train and evaluate node of `pipeline`, as the runner offers them when none is cached.
    func offered(_ pipeline: Pipeline) throws -> [AheadNode] {
        var keyOf: [String: String] = [:]
        var out: [AheadNode] = []
        for node in pipeline.graph.nodes where node.spec.kind == .train || node.spec.kind == .evaluate {
            let key = try #require(try NodeKeys.key(of: node))
            keyOf[node.id] = key
            out.append(AheadNode(id: node.id, key: key, stage: node.stage, seedless: try AheadNode.seedless(node),
                                 needs: node.needs.compactMap { keyOf[$0] }))
        }
        return out
    }

    @Test("the smoke pipeline's train and evaluate nodes group into arrays over seeds, one per stage and size")
    func smokeGroupsBySeed() throws {
        let smoke = try Pipeline.load(path: repoRoot.appendingPathComponent("pipelines/smoke.yaml").path)
        let groups = SlurmPlan.groups(try offered(smoke))
        // toy: critic [1] and [16,16]; pendulum: actor [4,4] and [16,16]; evaluate: the same four; each over seeds 1, 2.
        #expect(groups.map(\.count) == [2, 2, 2, 2, 2, 2, 2, 2])
        #expect(groups.map { $0[0].stage } == ["toy", "toy", "pendulum", "pendulum",
                                                 "evaluate", "evaluate", "evaluate", "evaluate"])
        for group in groups {
            #expect(group.map { $0.id.hasSuffix("-s1") || $0.id.contains("-s1-") } == [true, false], "\(group.map(\.id))")
            #expect(Set(group.map(\.seedless)).count == 1)
        }
    }

    @Test("nodes that differ in anything but the seed, or sit in another stage, are never in one array")
    func groupsSplitOnAnyOtherDifference() throws {
        let p = try load("""
            name: g
            defaults: {algorithm: td3, environment: Pendulum-v0, steps: 100, critic: [4]}
            stages:
              a: {kind: train, matrix: {actor: [[4], [8]], seed: [1, 2, 3], pi_lr: [0.001, 0.01]}}
              b: {kind: train, actor: [4], matrix: {seed: [1, 2, 3], pi_lr: [0.001, 0.01]}}
              one: {kind: train, actor: [4], seed: 7}
            """)
        let groups = SlurmPlan.groups(try offered(p))
        #expect(groups.map(\.count) == [3, 3, 3, 3, 3, 3, 1])
        #expect(groups.map { $0[0].stage } == ["a", "a", "a", "a", "b", "b", "one"])
        for group in groups { #expect(Set(group.map(\.seedless)).count == 1 && Set(group.map(\.stage)).count == 1) }
        #expect(Set(groups.map { $0[0].seedless }).count == 5)   // b's differ from a's only by stage
    }

    @Test("a group larger than Slurm's default MaxArraySize is split")
    func bigGroupsAreSplit() {
        let nodes = (0..<2500).map { AheadNode(id: "s/n\($0)", key: "k\($0)", stage: "s", seedless: "x") }
        #expect(SlurmPlan.groups(nodes).map(\.count) == [1000, 1000, 500])
    }

    @Test("evaluations of a train array wait with aftercorr, task for task; anything else with afterok on each job or task")
    func dependencies() throws {
        let smoke = try Pipeline.load(path: repoRoot.appendingPathComponent("pipelines/smoke.yaml").path)
        let groups = SlurmPlan.groups(try offered(smoke))
        var jobs: [String: SlurmJobRef] = [:]
        for (i, group) in groups.enumerated() where group[0].stage != "evaluate" {
            #expect(SlurmPlan.dependency(of: group, jobs: jobs) == nil)
            for (task, node) in group.enumerated() { jobs[node.key] = SlurmJobRef(job: "\(100 + i)", task: task) }
        }
        let evaluations = groups.filter { $0[0].stage == "evaluate" }
        #expect(evaluations.map { SlurmPlan.dependency(of: $0, jobs: jobs) }
                == ["aftercorr:100", "aftercorr:101", "aftercorr:102", "aftercorr:103"])
        // Tasks in another order: each task waits for both.
        let swapped = Array(evaluations[0].reversed())
        #expect(SlurmPlan.dependency(of: swapped, jobs: jobs) == "afterok:100_1:100_0")
        // One evaluation alone, of a one-node job, of a task; inputs already stored count for nothing.
        let one = evaluations[1][1]
        #expect(SlurmPlan.dependency(of: [one], jobs: jobs) == "afterok:101_1")
        jobs[one.needs[0]] = SlurmJobRef(job: "7")
        #expect(SlurmPlan.dependency(of: [one], jobs: jobs) == "afterok:7")
        #expect(SlurmPlan.dependency(of: [one], jobs: [:]) == nil)
        // Inputs from two arrays: afterok on every task, each once.
        var mixed = evaluations[2]
        mixed[1].needs.append(evaluations[3][0].needs[0])
        #expect(SlurmPlan.dependency(of: mixed, jobs: jobs) == "afterok:102_0:102_1:103_0")
    }

    func launcher(resources: [String: SlurmResources], extra: [String] = []) -> SlurmLauncher {
        SlurmLauncher(store: ArtifactStore(root: "/shared/store"),
                      worker: WorkerCommand(executable: "/opt/asym/asym", arguments: ["--numerics", "portable"]),
                      options: SlurmOptions(partition: "cpu", extraArguments: extra), resources: resources)
    }

    @Test("sbatch arguments: the stage's resources, the array, the dependency, then --sbatch-arg (which wins), then the script")
    func sbatchArgumentsOfAnArray() {
        let keys = ["aa01", "bb02", "cc03"]
        let l = launcher(resources: ["train": SlurmResources(cpus: 2, memory: "2G", time: "4:00:00")], extra: ["--time=8:00:00"])
        let args = l.sbatchArguments(keys: keys, stage: "train", dependency: "aftercorr:12")
        let name = SlurmLauncher.arrayName(keys: keys, storeRoot: "/shared/store")
        #expect(name.hasPrefix("asym-") && name.hasSuffix("-" + SlurmLauncher.storeTag("/shared/store")))
        #expect(Array(args.dropLast(2)) == [
            "--parsable", "--job-name=\(name)", "--output=/shared/store/slurm/\(name)_%a.log", "--open-mode=append",
            "--chdir=/shared/store", "--ntasks=1", "--cpus-per-task=2", "--mem=2G", "--time=4:00:00",
            "--array=0-2", "--partition=cpu", "--dependency=aftercorr:12", "--kill-on-invalid-dep=yes",
            "--time=8:00:00"])
        #expect(args[args.count - 2] == "--wrap")
        let script = args.last!
        #expect(script.hasPrefix("case \"$SLURM_ARRAY_TASK_ID\" in 0) key=aa01;; 1) key=bb02;; 2) key=cc03;; *)"))
        #expect(script.contains("echo \"asym: Slurm job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on"))
        #expect(script.hasSuffix("exec /opt/asym/asym --numerics portable exec \"$key\" --store /shared/store"))
        #expect(script.contains("export OPENBLAS_NUM_THREADS=1"))
    }

    @Test("sbatch arguments of one node: a plain job named by its key, logging to its key's log; one CPU when the stage says nothing")
    func sbatchArgumentsOfOneNode() {
        let l = launcher(resources: ["evaluate": SlurmResources(memory: "500M")])
        let args = l.sbatchArguments(keys: ["0123456789abcdef0123"], stage: "train", dependency: nil)
        #expect(Array(args.dropLast(2)) == [
            "--parsable", "--job-name=\(l.jobName("0123456789abcdef0123"))",
            "--output=/shared/store/logs/0123456789abcdef0123.slurm.log", "--open-mode=append",
            "--chdir=/shared/store", "--ntasks=1", "--cpus-per-task=1", "--partition=cpu"])
        #expect(args.last!.hasSuffix("exec 0123456789abcdef0123 --store /shared/store"))
        #expect(args.last!.hasPrefix("echo \"asym: Slurm job $SLURM_JOB_ID on"))
        let evaluate = l.sbatchArguments(keys: ["ab"], stage: "evaluate", dependency: "afterok:5_1")
        #expect(evaluate.contains("--mem=500M") && evaluate.contains("--dependency=afterok:5_1"))
        #expect(!evaluate.contains { $0.hasPrefix("--array") })
    }

    @Test("slurm: in defaults and stages: a stage's values over the defaults', none for a report; keys unchanged")
    func resourcesFromThePipelineFile() throws {
        let body = """
            stages:
              a: {kind: train, actor: [4], critic: [4], matrix: {seed: [1, 2]}%@}
              e: {kind: evaluate, needs: a}
              s: {kind: search, sizes: [[4], [8]], threshold: -100, seeds: [1, 2]}
              r: {kind: report, needs: [e]}
            """
        let plain = try load("name: p\ndefaults: {algorithm: td3, environment: Pendulum-v0, steps: 100}\n"
                             + body.replacingOccurrences(of: "%@", with: ""))
        let withSlurm = try load("""
            name: p
            defaults: {algorithm: td3, environment: Pendulum-v0, steps: 100, slurm: {cpus: 2, memory: 1G, time: "1:00:00"}}

            """ + body.replacingOccurrences(of: "%@", with: ", slurm: {memory: 4096, time: 2-00}"))
        let resources = Dictionary(uniqueKeysWithValues: withSlurm.stages.map { ($0.name, $0.resources) })
        #expect(resources["a"] == SlurmResources(cpus: 2, memory: "4096", time: "2-00"))
        #expect(resources["e"] == SlurmResources(cpus: 2, memory: "1G", time: "1:00:00"))
        #expect(resources["s"] == SlurmResources(cpus: 2, memory: "1G", time: "1:00:00"))
        #expect(resources["r"] == SlurmResources())
        #expect(plain.stages.allSatisfy { $0.resources == SlurmResources() })
        // Where a node runs never changes its result: same nodes, same keys.
        #expect(plain.graph.nodes.map(\.id) == withSlurm.graph.nodes.map(\.id))
        for (a, b) in zip(plain.graph.nodes, withSlurm.graph.nodes) {
            #expect(try NodeKeys.key(of: a) == NodeKeys.key(of: b), "\(a.id)")
            #expect(a.spec == b.spec)
        }
    }

    @Test("memory and time limits are checked as sbatch(1) reads them")
    func resourceFormats() {
        for ok in ["1", "2048", "500M", "2G", "1T", "64K"] { #expect(SlurmResources.isMemory(ok), "\(ok)") }
        for bad in ["", "0", "0G", "2 GB", "2GB", "G", "-1", "1.5G", "2g"] { #expect(!SlurmResources.isMemory(bad), "\(bad)") }
        for ok in ["90", "10:00", "4:00:00", "100:30:00", "1-0", "2-12", "1-12:30", "1-12:30:15", "0"] {
            #expect(SlurmResources.isTimeLimit(ok), "\(ok)")
        }
        for bad in ["", "4h", "1:60", "1:2:3:4", "1-24", "1-1:60", "-5", "1--2", "1-", ":30", "4:00:60", "UNLIMITED"] {
            #expect(!SlurmResources.isTimeLimit(bad), "\(bad)")
        }
    }
}
