// Agents: DDPG, TD3, SAC, PPO, TRPO; replay and rollout buffers; the training loop.
import Nets
import Envs
