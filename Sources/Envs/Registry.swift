/// Environments by id, with their dimensions, episode length and action bounds.
public enum EnvRegistry {
    public struct Entry: Sendable {
        public let id: String
        public let observationCount: Int
        public let actionSpace: Space
        public let maxEpisodeSteps: Int
        public let make: @Sendable () throws -> any Env
        public init(id: String, observationCount: Int, actionSpace: Space, maxEpisodeSteps: Int,
                    make: @escaping @Sendable () throws -> any Env) {
            self.id = id; self.observationCount = observationCount; self.actionSpace = actionSpace
            self.maxEpisodeSteps = maxEpisodeSteps; self.make = make
        }
    }

    /// The paper's toy problem, its goal-generator variants, and the classic-control tasks.
    static let classicEntries: [Entry] = [
        entry(ToyTracking()),
        entry(ToyTracking(id: "ToyTrackingConstant-v0", goal: .constant(0.5))),
        entry(ToyTracking(id: "ToyTrackingStep-v0", goal: .step(from: -0.5, to: 0.5, atTime: 1.5))),
        entry(Pendulum(version: .v0)),
        entry(Pendulum(version: .v1)),
        entry(Acrobot()),
    ]

    /// An entry whose dimensions are read off `prototype` and whose `make`
    /// returns a copy of it (environments are value types).
    static func entry<E: Env & Sendable>(_ prototype: E) -> Entry {
        Entry(id: prototype.id, observationCount: prototype.observationCount,
              actionSpace: prototype.actionSpace, maxEpisodeSteps: prototype.maxEpisodeSteps,
              make: { prototype })
    }

    public static var all: [Entry] { classicEntries + mujocoEntries }
    public static var ids: [String] { all.map(\.id) }

    public static func entry(_ id: String) throws -> Entry {
        guard let e = all.first(where: { $0.id == id }) else {
            throw EnvError.unknownEnvironment(id, known: ids)
        }
        return e
    }

    public static func make(_ id: String) throws -> any Env { try entry(id).make() }
}
