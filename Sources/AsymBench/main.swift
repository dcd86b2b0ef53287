// `make bench`: prints throughput figures. Never passes or fails on time.
// Sections: pass names to run a subset (`asym-bench nets envs`); none runs all.
import Nets

let requested = Set(CommandLine.arguments.dropFirst())
func wants(_ section: String) -> Bool { requested.isEmpty || requested.contains(section) }

setSingleThreadedBLAS()
if wants("nets") { benchNets() }
if wants("envs") { benchEnvironments() }
if wants("mujoco") { benchMuJoCo() }
if wants("offpolicy") { benchOffPolicy() }
if wants("onpolicy") { benchOnPolicy() }
if wants("store") { benchStore() }
