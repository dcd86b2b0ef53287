// `make bench`: prints throughput figures. Never passes or fails on time.
// Sections: pass names to run a subset (`asym-bench nets envs`); none runs all.
// `--peer FILE`: Stable-Baselines3 figures measured in this same run by
// Peer/sb3_throughput.py (its TSV), printed beside ours with the ratio.
// `--numerics native` (or ASYM_NUMERICS) picks the numerics profile.
import Nets

var arguments = Numerics.prepareProcess(tool: "asym-bench", arguments: Array(CommandLine.arguments.dropFirst()))
var peer: PeerFigures?
if let i = arguments.firstIndex(of: "--peer") {
    guard i + 1 < arguments.count else { fail("--peer needs the TSV file of Peer/sb3_throughput.py") }
    do { peer = try PeerFigures(path: arguments[i + 1]) } catch { fail("\(error)") }
    arguments.removeSubrange(i...(i + 1))
}
let requested = Set(arguments)
func wants(_ section: String) -> Bool { requested.isEmpty || requested.contains(section) }

setSingleThreadedBLAS()
print("asym-bench: \(Numerics.summary), one thread; CPU \(cpuModel())")
if wants("nets") { benchNets() }
if wants("products") { benchProducts() }
if wants("envs") { benchEnvironments() }
if wants("mujoco") { benchMuJoCo() }
if wants("offpolicy") { benchOffPolicy(peer: peer) }
if wants("onpolicy") { benchOnPolicy(peer: peer) }
if wants("store") { benchStore() }
if wants("pipeline") { benchPipeline() }
