// `make bench`: prints throughput figures. Never passes or fails on time.
// Sections: pass names to run a subset (`asym-bench nets envs`); none runs all.
import Nets

// `--numerics native` (or ASYM_NUMERICS) picks the profile; see `Numerics`.
let requested = Set(Numerics.prepareProcess(tool: "asym-bench", arguments: Array(CommandLine.arguments.dropFirst())))
func wants(_ section: String) -> Bool { requested.isEmpty || requested.contains(section) }

setSingleThreadedBLAS()
print("asym-bench: \(Numerics.summary), one thread; CPU \(cpuModel())")
if wants("nets") { benchNets() }
if wants("envs") { benchEnvironments() }
if wants("mujoco") { benchMuJoCo() }
if wants("offpolicy") { benchOffPolicy() }
if wants("onpolicy") { benchOnPolicy() }
