#!/usr/bin/env python3
"""Reference trajectories for Tests/EnvsTests, from the reference implementations.

Each fixture holds cases shaped like `asym env replay` input and output:
    {"env": ID, "source": "...", "cases": [{"name": ..., "input": {"state": S, "actions": [[...], ...]},
                                           "expected": {"obs0": [...], "steps": [{"obs", "reward",
                                                        "terminated", "truncated"}, ...]}}]}
The state is set on the unwrapped reference environment right after reset(), so the
time-limit counter starts at zero, exactly as `setState` does in Asym.

Two interpreters are needed, because gym 0.18 does not install on Python 3.11:

    python3 -m venv /tmp/gymvenv && /tmp/gymvenv/bin/pip install gymnasium numpy noise
    /tmp/gymvenv/bin/python make_fixtures.py            # Pendulum-v1, Acrobot-v1, ToyTracking-v0, pnoise1

    # gym 0.18.0 runs from its source tarball on numpy 1.26 (its setup.py does not build):
    python3 -m venv /tmp/gym018venv && /tmp/gym018venv/bin/pip install "numpy==1.26.4" "cloudpickle<1.7"
    /tmp/gymvenv/bin/pip download --no-deps --no-binary :all: gym==0.18.0   # then untar it
    PYTHONPATH=/path/to/gym-0.18.0 /tmp/gym018venv/bin/python make_fixtures.py pendulum-v0

Box actions are multiples of 1/64, so they are exact in float32 and their squares and
small multiples are too: the fixtures do not depend on numpy's float32/float64 promotion
rules (which changed in numpy 2, NEP 50).
"""
import importlib.metadata
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def f32(x):
    """A float32 as its shortest round-tripping decimal (keeps the files small)."""
    return float(str(np.float32(x)))


def write(name, payload):
    path = os.path.join(HERE, name)
    with open(path, "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def box_actions(seed, n, low, high):
    rs = np.random.RandomState(seed)
    return [[float(np.round(a * 64) / 64)] for a in rs.uniform(low, high, n)]


# --------------------------------------------------------------------------------------
# Pendulum-v0 (gym 0.18.0)

def pendulum_v0():
    import gym
    assert gym.__version__ == "0.18.0", gym.__version__
    cases = []
    for name, theta, thetadot, n, seed in PENDULUM_CASES:
        env = gym.make("Pendulum-v0")
        env.seed(0)
        env.reset()
        env.unwrapped.state = np.array([theta, thetadot])
        obs0 = env.unwrapped._get_obs()
        actions = box_actions(seed, n, -2.5, 2.5)
        steps = []
        for a in actions:
            obs, r, done, info = env.step(np.array(a, dtype=np.float32))
            truncated = bool(info.get("TimeLimit.truncated", False))
            steps.append({"obs": [float(x) for x in obs], "reward": float(r),
                          "terminated": bool(done) and not truncated, "truncated": truncated})
        cases.append({"name": name, "input": {"state": {"theta": theta, "thetadot": thetadot},
                                              "actions": actions},
                      "expected": {"obs0": [float(x) for x in obs0], "steps": steps}})
    write("Pendulum-v0.json", {"env": "Pendulum-v0",
                               "source": f"gym {gym.__version__}, numpy {np.__version__}",
                               "cases": cases})


# (name, theta, thetadot, steps, action seed): a full episode, a fast spin that hits the
# speed clip (where v0 and v1 differ), and a wound-up angle (negative angle_normalize path).
PENDULUM_CASES = [
    ("full episode", 2.9, -0.7, 200, 1),
    ("speed clip", 0.3, 7.9, 40, 2),
    ("wound up", -7.5, 0.0, 30, 3),
]


# --------------------------------------------------------------------------------------
# Gymnasium: Pendulum-v1, Acrobot-v1

def gymnasium_env(env_id):
    import gymnasium
    env = gymnasium.make(env_id)
    env.reset(seed=0)
    return env, f"gymnasium {gymnasium.__version__}, numpy {np.__version__}"


def record_gymnasium(env, action_for):
    steps, actions = [], []
    i = 0
    while True:
        a = action_for(i, env.unwrapped.state)
        if a is None:
            break
        obs, r, term, trunc, _ = env.step(np.array(a, dtype=np.float32))
        actions.append(a)
        steps.append({"obs": [f32(x) for x in obs], "reward": float(r),
                      "terminated": bool(term), "truncated": bool(trunc)})
        i += 1
    return actions, steps


def pendulum_v1():
    cases = []
    for name, theta, thetadot, n, seed in PENDULUM_CASES:
        env, source = gymnasium_env("Pendulum-v1")
        env.unwrapped.state = np.array([theta, thetadot])
        obs0 = env.unwrapped._get_obs()
        planned = box_actions(seed, n, -2.5, 2.5)
        actions, steps = record_gymnasium(env, lambda i, s: planned[i] if i < n else None)
        cases.append({"name": name, "input": {"state": {"theta": theta, "thetadot": thetadot},
                                              "actions": actions},
                      "expected": {"obs0": [f32(x) for x in obs0], "steps": steps}})
    write("Pendulum-v1.json", {"env": "Pendulum-v1", "source": source, "cases": cases})


def acrobot_v1():
    cases = []
    rs = np.random.RandomState(4)
    random_actions = [[int(a)] for a in rs.randint(0, 3, 200)]
    rs = np.random.RandomState(5)
    wild_actions = [[int(a)] for a in rs.randint(0, 3, 30)]

    def pump(i, s):
        # Energy pumping (torque with the second joint's velocity) reaches the goal in
        # 73 steps from rest; stop at the terminal step.
        if i >= 300 or (i > 0 and pump.done):
            return None
        return [2 if s[3] > 0 else 0]
    for name, s, policy in [
        ("random actions", [0.05, -0.03, 0.02, -0.08], lambda i, s: random_actions[i] if i < 200 else None),
        ("pump to terminal", [0.0, 0.0, 0.0, 0.0], pump),
        # Angles beyond ±π and velocities beyond the bounds: exercises wrap() and the velocity clip.
        ("wrap and clip", [4.0, -4.0, 13.0, -29.0], lambda i, s: wild_actions[i] if i < 30 else None),
    ]:
        env, source = gymnasium_env("Acrobot-v1")
        env.unwrapped.state = np.array(s, dtype=np.float64)
        obs0 = env.unwrapped._get_ob()
        pump.done = False
        steps, actions = [], []
        i = 0
        while True:
            a = policy(i, env.unwrapped.state)
            if a is None:
                break
            obs, r, term, trunc, _ = env.step(a[0])
            pump.done = bool(term)
            actions.append(a)
            steps.append({"obs": [f32(x) for x in obs], "reward": float(r),
                          "terminated": bool(term), "truncated": bool(trunc)})
            i += 1
        cases.append({"name": name, "input": {"state": {"s": s}, "actions": actions},
                      "expected": {"obs0": [f32(x) for x in obs0], "steps": steps}})
    assert cases[1]["expected"]["steps"][-1]["terminated"], "pump case must end terminal"
    write("Acrobot-v1.json", {"env": "Acrobot-v1", "source": source, "cases": cases})


# --------------------------------------------------------------------------------------
# ToyTracking-v0: a transcription of CAPS rl_smoothness/envs/PerlinEnv.py StateEnv
# (action_type 'R', continuous goal, p_aggression 1) on the real `noise` package.

class CapsStateEnv:
    dt, max_time, aggression = 0.02, 3.0, 1.0
    obs_high, max_act = np.array([10.0]), np.array([1.0])

    def __init__(self, offset, state):
        import noise
        self.noise = noise
        self.sim_time = 0.0
        self.offset = offset
        self.state = np.array([state])

    def update_goal(self):
        self.goal = np.array([self.noise.pnoise1(self.sim_time * self.aggression + self.offset, 4)
                              * self.obs_high[0]])

    def obs0(self):
        self.update_goal()
        return self.goal - self.state

    def step(self, u):
        self.update_goal()
        u = np.clip(u, -self.max_act, self.max_act)
        self.state += u
        self.sim_time += self.dt
        done = self.sim_time > self.max_time
        reward = -np.abs(self.goal - self.state)
        return self.goal - self.state, reward, done


def toy():
    import noise
    cases = []
    for name, offset, state_from_goal, state, n, seed in [
        # Starts as reset() does (state = goal(0), first observation 0); runs into the time limit.
        ("full episode", 12345.678, True, None, 150, 6),
        ("offset near 1e5", 98765.4321, False, 0.7, 40, 7),
    ]:
        env = CapsStateEnv(offset, 0.0)
        if state_from_goal:
            env.update_goal()
            state = float(env.goal[0])
        env.state = np.array([state])
        obs0 = env.obs0()
        actions = box_actions(seed, n, -1.5, 1.5)
        steps = []
        for a in actions:
            obs, r, done = env.step(np.array(a, dtype=np.float32))
            steps.append({"obs": [f32(obs[0])], "reward": float(r[0]),
                          "terminated": False, "truncated": bool(done)})
        cases.append({"name": name, "input": {"state": {"offset": offset, "state": state},
                                              "actions": actions},
                      "expected": {"obs0": [f32(obs0[0])], "steps": steps}})
    write("ToyTracking-v0.json", {"env": "ToyTracking-v0",
                                  "source": f"CAPS PerlinEnv.StateEnv transcription, noise "
                                            f"{importlib.metadata.version('noise')}, numpy {np.__version__}",
                                  "cases": cases})

    # pnoise1 itself: the values quoted in reference/rl-facts.md plus negative inputs,
    # integer points, one octave and the offsets the toy problem uses.
    rs = np.random.RandomState(8)
    points = [(0.25, 1), (0.5, 1), (0.5, 4), (1.3, 4), (7.77, 4), (100.5, 4), (12345.67, 4),
              (98765.43, 4), (0.0, 4), (1.0, 1), (-0.3, 1), (-5.75, 4), (-1234.5, 4), (1023.9, 4),
              (1024.1, 4), (3.3, 2), (3.3, 8)]
    points += [(float(x), 4) for x in rs.uniform(0, 1e5, 20)]
    points += [(float(x), 1) for x in rs.uniform(-50, 50, 10)]
    values = [{"x": x, "octaves": o, "value": noise.pnoise1(x, o)} for x, o in points]
    write("pnoise1.json", {"source": f"noise {importlib.metadata.version('noise')} pnoise1(x, octaves)", "values": values})


if __name__ == "__main__":
    wanted = set(sys.argv[1:]) or {"pendulum-v1", "acrobot-v1", "toy"}
    if "pendulum-v0" in wanted:
        pendulum_v0()
    if "pendulum-v1" in wanted:
        pendulum_v1()
    if "acrobot-v1" in wanted:
        acrobot_v1()
    if "toy" in wanted:
        toy()
