/// Errors of the artifact store, each one readable sentence naming the file.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// An HDF5 call failed; `call` names the C function.
    case hdf5(call: String, path: String)
    case notFound(path: String)
    case missingDataset(name: String, path: String)
    case corrupt(path: String, why: String)
    case notWritable(path: String, why: String)

    public var description: String {
        switch self {
        case .hdf5(let call, let path): return "\(path): HDF5 call \(call) failed (is the file damaged or the disk full?)"
        case .notFound(let path): return "\(path): no such file"
        case .missingDataset(let name, let path): return "\(path): no dataset '\(name)'"
        case .corrupt(let path, let why): return "\(path): damaged artifact (\(why))"
        case .notWritable(let path, let why): return "\(path): cannot write here (\(why))"
        }
    }
}
