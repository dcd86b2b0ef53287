/// PPO environment steps/s on Pendulum.
func benchOnPolicy() {}
