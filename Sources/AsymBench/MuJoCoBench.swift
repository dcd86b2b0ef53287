/// MuJoCo tasks against the bare `mj_step` cost of their frame skip.
func benchMuJoCo() {}
