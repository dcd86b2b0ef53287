// `make bench`: prints throughput figures. Never passes or fails on time.
// Sections: pass names to run a subset (`asym-bench nets envs`); none runs all.
// `--peer FILE`: Stable-Baselines3 figures measured in this same run by
// Peer/sb3_throughput.py (its TSV), printed beside ours with the ratio.
// `--numerics native` (or ASYM_NUMERICS) picks the numerics profile.
// `--rows-only`: the off-policy table's rows without its title and legend, and
// `--legend`: those alone; `make bench-peer` interleaves SB3 and our rows per
// configuration with them, so both are measured under the same host load.
import Nets
#if canImport(Glibc)
import Glibc
#endif

var arguments = Numerics.prepareProcess(tool: "asym-bench", arguments: Array(CommandLine.arguments.dropFirst()))
var peer: PeerFigures?
if let i = arguments.firstIndex(of: "--peer") {
    guard i + 1 < arguments.count else { fail("--peer needs the TSV file of Peer/sb3_throughput.py") }
    do { peer = try PeerFigures(path: arguments[i + 1]) } catch { fail("\(error)") }
    arguments.removeSubrange(i...(i + 1))
}
let rowsOnly = arguments.contains("--rows-only"), legendOnly = arguments.contains("--legend")
arguments.removeAll { $0 == "--rows-only" || $0 == "--legend" }
let requested = Set(arguments)
func wants(_ section: String) -> Bool { requested.isEmpty || requested.contains(section) }

setSingleThreadedBLAS()
if legendOnly {
    let native = (try? Numerics.kernel(for: .native, features: .current)) ?? "none"
    print("asym-bench: OpenBLAS \(Numerics.openBLASVersion), one thread; CPU \(cpuModel()); portable = kernel \(Numerics.portableKernel), native = kernel \(native)")
    printOffPolicyLegend(peer: peer)
    exit(0)
}
if rowsOnly && requested != ["offpolicy"] { fail("--rows-only is for the offpolicy section alone") }
if !rowsOnly { print("asym-bench: \(Numerics.summary), one thread; CPU \(cpuModel())") }
if wants("nets") { benchNets() }
if wants("products") { benchProducts() }
if wants("envs") { benchEnvironments() }
if wants("mujoco") { benchMuJoCo() }
if wants("offpolicy") { benchOffPolicy(peer: peer, rowsOnly: rowsOnly) }
if wants("onpolicy") { benchOnPolicy(peer: peer) }
if wants("store") { benchStore() }
if wants("pipeline") { benchPipeline() }
