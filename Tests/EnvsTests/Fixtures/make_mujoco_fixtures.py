#!/usr/bin/env python3
"""Reference trajectories for Asym's MuJoCo environments (mujoco_*.json).

A small numpy transcription of the step functions of gym 0.18's reacher.py,
half_cheetah.py and ant.py (the "-v2" environments) and of Gymnasium 1.4.0's
reacher_v5.py and ant_v5.py, run through DeepMind's `mujoco` Python bindings on
the SAME XML files Asym loads (Gymnasium 1.4.0's assets, fetched by
`make models`). Physics follows Gymnasium 1.x's MujocoEnv: ctrl = action as
given (MuJoCo clamps it), mj_step x frame_skip, then mj_rnePostConstraint.

Each file starts from a fixed qpos/qvel (set, then mj_forward, as set_state)
and applies 50 fixed actions drawn from U(-1.2, 1.2) as float32, so some lie
outside the control range and exercise MuJoCo's clamping. Per step it records
the reward, its terms, `terminated`, the Double qpos/qvel, and the observation
(10 significant digits: Asym's observations are Float32).

Made with: Python 3.11, mujoco 2.3.1 (the closest wheel to Debian's libmujoco
2.2.2 that exists for CPython 3.11; PyPI has only an sdist for 2.2.2), numpy.
The Swift tests state the tolerance measured against 2.2.2.

The transcription is checked against Gymnasium's own classes when gymnasium
is installed (`check_against_gymnasium`: Reacher-v4, HalfCheetah-v4, Ant-v4
with use_contact_forces=True, Reacher-v5, Ant-v5). Measured with gymnasium
1.4.0 + mujoco 2.3.1: qpos/qvel identical bit for bit; rewards differ by
<= 3e-7 because Gymnasium squares the float32 action in float32 for the
control cost (Asym and this script use float64).

Usage (throwaway virtualenv, outside the repository):
    python3 -m venv /tmp/mjvenv
    /tmp/mjvenv/bin/pip install mujoco==2.3.1.post1 numpy
    /tmp/mjvenv/bin/pip install gymnasium==1.4.0 imageio packaging   # optional cross-check
    /tmp/mjvenv/bin/python Tests/EnvsTests/Fixtures/make_mujoco_fixtures.py [models-dir]
"""
import hashlib
import json
import os
import sys

import mujoco
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = (sys.argv[1] if len(sys.argv) > 1 else
          os.environ.get("ASYM_MODELS") or os.path.expanduser("~/.cache/asym/models"))
STEPS = 50


class Sim:
    def __init__(self, xml, frame_skip):
        self.path = os.path.join(MODELS, xml)
        self.model = mujoco.MjModel.from_xml_path(self.path)
        self.data = mujoco.MjData(self.model)
        self.frame_skip = frame_skip
        self.dt = self.model.opt.timestep * frame_skip

    def set_state(self, qpos, qvel):
        mujoco.mj_resetData(self.model, self.data)
        self.data.qpos[:] = qpos
        self.data.qvel[:] = qvel
        mujoco.mj_forward(self.model, self.data)

    def advance(self, action):
        self.data.ctrl[:] = action
        for _ in range(self.frame_skip):
            mujoco.mj_step(self.model, self.data)
        mujoco.mj_rnePostConstraint(self.model, self.data)

    def xpos(self, body):
        return self.data.body(body).xpos.copy()


# --- reacher.py (v2) / reacher_v5.py ---------------------------------------
def reacher_obs(sim, version):
    q, v = sim.data.qpos, sim.data.qvel
    vec = sim.xpos("fingertip") - sim.xpos("target")
    tail = vec if version == "v2" else vec[:2]
    return np.concatenate([np.cos(q[:2]), np.sin(q[:2]), q[2:], v[:2], tail])


def reacher_step(sim, a, version):
    def terms():
        vec = sim.xpos("fingertip") - sim.xpos("target")
        return {"distance": -np.linalg.norm(vec), "control": -np.square(a).sum()}
    if version == "v2":      # v2 rewards the state before the action
        t = terms()
        sim.advance(a)
    else:
        sim.advance(a)
        t = terms()
    return reacher_obs(sim, version), t["distance"] + t["control"], t, False


# --- half_cheetah.py (v2) ---------------------------------------------------
def cheetah_obs(sim, version):
    return np.concatenate([sim.data.qpos[1:], sim.data.qvel])


def cheetah_step(sim, a, version):
    before = sim.data.qpos[0]
    sim.advance(a)
    after = sim.data.qpos[0]
    t = {"forward": (after - before) / sim.dt, "control": -0.1 * np.square(a).sum()}
    return cheetah_obs(sim, version), t["control"] + t["forward"], t, False


# --- ant.py (v2) / ant_v5.py ------------------------------------------------
def ant_obs(sim, version):
    forces = np.clip(sim.data.cfrc_ext, -1, 1)
    if version == "v5":
        forces = forces[1:]
    return np.concatenate([sim.data.qpos[2:], sim.data.qvel, forces.flat])


def ant_step(sim, a, version):
    before = sim.xpos("torso")[0]
    sim.advance(a)
    after = sim.xpos("torso")[0]
    state = np.concatenate([sim.data.qpos, sim.data.qvel])
    healthy = bool(np.isfinite(state).all() and 0.2 <= state[2] <= 1.0)
    t = {
        "forward": (after - before) / sim.dt,
        "control": -0.5 * np.square(a).sum(),
        "contact": -0.5 * 1e-3 * np.sum(np.square(np.clip(sim.data.cfrc_ext, -1, 1))),
        "survive": 1.0 if (version == "v2" or healthy) else 0.0,
    }
    reward = t["forward"] + t["control"] + t["contact"] + t["survive"]
    return ant_obs(sim, version), reward, t, not healthy


CASES = [
    # (file stem, env id, xml, frame skip, obs fn, step fn, version, seed)
    ("reacher_v2", "Reacher-v2", "reacher.xml", 2, reacher_obs, reacher_step, "v2", 1),
    ("reacher_v5", "Reacher-v5", "reacher.xml", 2, reacher_obs, reacher_step, "v5", 2),
    ("half_cheetah_v2", "HalfCheetah-v2", "half_cheetah.xml", 5, cheetah_obs, cheetah_step, "v2", 3),
    ("ant_v2", "Ant-v2", "ant.xml", 5, ant_obs, ant_step, "v2", 4),
    ("ant_v5", "Ant-v5", "ant.xml", 5, ant_obs, ant_step, "v5", 5),
]


def g10(xs):
    return [float(f"{x:.10g}") for x in np.asarray(xs).ravel()]


def exact(xs):
    return [float(x) for x in np.asarray(xs).ravel()]


def main():
    for stem, env_id, xml, skip, obs_fn, step_fn, version, seed in CASES:
        sim = Sim(xml, skip)
        rng = np.random.default_rng(seed)
        m = sim.model
        # A start like each env's reset noise, but written down.
        qpos = m.qpos0 + rng.uniform(-0.1, 0.1, m.nq)
        qvel = rng.uniform(-0.1, 0.1, m.nv)
        if env_id.startswith("Reacher"):
            qpos[2:] = [0.08, -0.12]
            qvel[2:] = 0
        actions = rng.uniform(-1.2, 1.2, (STEPS, m.nu)).astype(np.float32).astype(np.float64)
        sim.set_state(qpos, qvel)
        steps = []
        first_obs = obs_fn(sim, version)
        for a in actions:
            obs, reward, terms, terminated = step_fn(sim, a, version)
            steps.append({
                "reward": float(reward),
                "terms": {k: float(v) for k, v in terms.items()},
                "terminated": terminated,
                "qpos": exact(sim.data.qpos),
                "qvel": exact(sim.data.qvel),
                "observation": g10(obs),
            })
        with open(sim.path, "rb") as f:
            xml_sha = hashlib.sha256(f.read()).hexdigest()
        out = {
            "env": env_id,
            "made_by": "Tests/EnvsTests/Fixtures/make_mujoco_fixtures.py",
            "mujoco_version": mujoco.__version__,
            "numpy_version": np.__version__,
            "model": xml,
            "model_sha256": xml_sha,
            "frame_skip": skip,
            "qpos": exact(qpos),
            "qvel": exact(qvel),
            "actions": [exact(a) for a in actions],
            "initial_observation": g10(first_obs),
            "steps": steps,
        }
        path = os.path.join(HERE, f"mujoco_{stem}.json")
        with open(path, "w") as f:
            json.dump(out, f, separators=(",", ":"))
            f.write("\n")
        print(f"{path}: {env_id}, {len(steps)} steps, {os.path.getsize(path)} bytes")


GYMNASIUM_IDS = {"reacher_v2": ("Reacher-v4", {}), "half_cheetah_v2": ("HalfCheetah-v4", {}),
                 "ant_v2": ("Ant-v4", {"use_contact_forces": True}),
                 "reacher_v5": ("Reacher-v5", {}), "ant_v5": ("Ant-v5", {})}


def check_against_gymnasium():
    """Replays each fixture through Gymnasium's env class; prints the largest differences."""
    try:
        import gymnasium
    except ImportError:
        print("gymnasium not installed: cross-check skipped")
        return
    for stem, (gid, kwargs) in GYMNASIUM_IDS.items():
        with open(os.path.join(HERE, f"mujoco_{stem}.json")) as f:
            d = json.load(f)
        # v4 takes no xml_file: Gymnasium's own asset must be the file the fixture used.
        env = gymnasium.make(gid, **kwargs).unwrapped
        with open(env.fullpath, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == d["model_sha256"], env.fullpath
        env.reset(seed=0)
        mujoco.mj_resetData(env.model, env.data)
        env.set_state(np.array(d["qpos"]), np.array(d["qvel"]))
        state_err = reward_err = 0.0
        for a, s in zip(d["actions"], d["steps"]):
            _, r, terminated, _, _ = env.step(np.array(a, dtype=np.float32))
            state_err = max(state_err, np.max(np.abs(env.data.qpos - s["qpos"])),
                            np.max(np.abs(env.data.qvel - s["qvel"])))
            reward_err = max(reward_err, abs(r - s["reward"]))
            assert terminated == s["terminated"], (gid, terminated)
        print(f"gymnasium {gymnasium.__version__} {gid}: max |qpos/qvel| diff {state_err:.1e}, "
              f"max |reward| diff {reward_err:.1e}")


if __name__ == "__main__":
    main()
    check_against_gymnasium()
