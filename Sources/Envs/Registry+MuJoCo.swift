// MuJoCo environments' registry entries (filled in by the MuJoCo work).
extension EnvRegistry {
    static let mujocoEntries: [EnvRegistry.Entry] = []
}
