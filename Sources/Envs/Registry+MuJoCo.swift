// MuJoCo environments' registry entries. Dimensions and bounds are written out
// (not read from the models) so listing the registry never needs the model
// files; `make()` loads the model and throws `EnvError.modelNotFound` with the
// command to run when they have not been fetched.
extension EnvRegistry {
    private static func unitBox(_ n: Int) -> Space {
        .box(low: [Float](repeating: -1, count: n), high: [Float](repeating: 1, count: n))
    }

    static let mujocoEntries: [EnvRegistry.Entry] = [
        Entry(id: "Reacher-v2", observationCount: 11, actionSpace: unitBox(2), maxEpisodeSteps: 50,
              make: { try Reacher(version: .v2) }),
        Entry(id: "Reacher-v5", observationCount: 10, actionSpace: unitBox(2), maxEpisodeSteps: 50,
              make: { try Reacher(version: .v5) }),
        Entry(id: "HalfCheetah-v2", observationCount: 17, actionSpace: unitBox(6), maxEpisodeSteps: 1000,
              make: { try HalfCheetah() }),
        Entry(id: "Ant-v2", observationCount: 111, actionSpace: unitBox(8), maxEpisodeSteps: 1000,
              make: { try Ant(version: .v2) }),
        Entry(id: "Ant-v5", observationCount: 105, actionSpace: unitBox(8), maxEpisodeSteps: 1000,
              make: { try Ant(version: .v5) }),
    ]
}
