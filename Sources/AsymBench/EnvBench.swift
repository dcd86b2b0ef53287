/// Steps/s of every registered environment, single thread, random actions.
func benchEnvironments() {}
