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

    static let classicEntries: [Entry] = []

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
