/// Environment steps/s while training DDPG, TD3 and SAC on Pendulum.
func benchOffPolicy() {}
