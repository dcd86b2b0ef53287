import Envs
import Nets

/// Steps/s of every registered environment, single thread, random actions.
///
/// The timed loop uses the buffer API (no allocation per step) and resets
/// when an episode ends, so the figure includes resets at their natural rate.
/// Actions are drawn before timing (a ring of 4096), so the generator's cost
/// is not counted. Two figures per environment: through `any Env` (what code
/// that takes environments from the registry pays) and specialised on the
/// concrete type (what a generic training loop pays).
func benchEnvironments() {
    print("envs: steps/s, one thread, random actions, resets included")
    print("  " + padRight("id", 24) + padRight("any Env", 14) + "specialised")
    for entry in EnvRegistry.all {
        let env: any Env
        do {
            env = try entry.make()
        } catch {
            print("  " + padRight(entry.id, 24) + "skipped: \(error)")
            continue
        }
        let viaExistential = stepsPerSecond(existential: env)
        let specialised: Double?
        switch env {
        case let e as ToyTracking: specialised = stepsPerSecond(e)
        case let e as Pendulum: specialised = stepsPerSecond(e)
        case let e as Acrobot: specialised = stepsPerSecond(e)
        default: specialised = nil
        }
        print("  " + padRight(entry.id, 24) + padRight(millions(viaExistential), 14)
              + (specialised.map(millions) ?? "-"))
    }
}

/// Keeps the call behind the existential: the loop below is not specialised.
@inline(never)
func stepsPerSecond(existential env: any Env) -> Double {
    stepsPerSecond(env)
}

/// Runs `env` for at least 0.3 s after a short warm-up and returns steps per second.
@inline(never)
func stepsPerSecond<E: Env>(_ env: E) -> Double {
    var env = env
    let actionCount = env.actionCount
    let ringSize = 4096
    var rng = Xoshiro256(seed: 2026)
    var actions = [Float](repeating: 0, count: ringSize * actionCount)
    for i in 0..<ringSize {
        switch env.actionSpace {
        case .box(let low, let high):
            for j in 0..<actionCount { actions[i * actionCount + j] = rng.uniformFloat(low[j], high[j]) }
        case .discrete(let n):
            actions[i] = Float(rng.index(below: n))
        }
    }
    var observation = [Float](repeating: 0, count: env.observationCount)
    var checksum: Float = 0

    return actions.withUnsafeBufferPointer { actionBuffer in
        observation.withUnsafeMutableBufferPointer { obs in
            env.reset(seed: 1, into: obs)
            func run(_ steps: Int) {
                var slot = 0
                for _ in 0..<steps {
                    let action = UnsafeBufferPointer(rebasing: actionBuffer[slot..<(slot + actionCount)])
                    if env.step(action, into: obs).done { env.reset(seed: nil, into: obs) }
                    checksum += obs[0]
                    slot += actionCount
                    if slot == actionBuffer.count { slot = 0 }
                }
            }
            run(10_000)                                   // warm-up
            let clock = ContinuousClock()
            var steps = 0
            let start = clock.now
            var elapsed = Duration.zero
            while elapsed < .milliseconds(300) {
                run(50_000)
                steps += 50_000
                elapsed = clock.now - start
            }
            if checksum.isNaN { print("  (checksum NaN)") }   // keeps the loop's work observable
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            return Double(steps) / seconds
        }
    }
}

private func millions(_ rate: Double) -> String {
    let m = (rate / 1e4).rounded() / 100
    return "\(m) M"
}

private func padRight(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}
