import CHDF5
import Foundation

// Every HDF5 call in Asym goes through this file. Each wrapper checks the
// return code (negative hid_t/herr_t) and throws `StoreError.hdf5(call:path:)`
// naming the C function; handles close in `defer`/`deinit`, never by hand.

/// Debian's HDF5 is built without thread safety, so every call into the
/// library holds this one process-wide lock (recursive: wrappers nest).
let hdf5Lock = NSRecursiveLock()

/// HDF5 would otherwise close every open file at exit, flushing it again; after
/// a failed write (a full disk) that second flush crashes the process instead
/// of letting it exit with our one-line error. Files we keep are always closed
/// explicitly (`HDF5File.close`); anything still open at exit is a temporary
/// file already removed.
nonisolated(unsafe) let hdf5NoAtExit: Void = { _ = H5dont_atexit() }()

@inline(__always) func withHDF5Lock<T>(_ body: () throws -> T) rethrows -> T {
    hdf5Lock.lock()
    defer { hdf5Lock.unlock() }
    _ = hdf5NoAtExit
    // HDF5 keeps its error-printing setting per thread when built thread-safe
    // (as Debian's is): silence it on whichever thread calls. Errors reach the
    // user once, as ours.
    _ = H5Eset_auto2(asym_H5E_DEFAULT(), nil, nil)
    return try body()
}

/// An array read back from a dataset, in its stored type.
public enum HDF5Array: Equatable, Sendable {
    case floats([Float]), doubles([Double]), integers([Int64]), words([UInt64]), text(String)
}

/// One HDF5 file: datasets addressed by slash-separated paths (groups are
/// created as needed) and string attributes on the root group.
public final class HDF5File {
    public let path: String
    let id: hid_t
    private var isOpen = true

    private init(path: String, id: hid_t) { self.path = path; self.id = id }
    deinit { if isOpen { withHDF5Lock { _ = H5Fclose(id) } } }

    /// Closes the file, checking the result: HDF5 flushes its caches here, so
    /// a full disk often shows up only now. Writers must call it; readers may
    /// leave closing to `deinit`.
    public func close() throws {
        try withHDF5Lock {
            guard isOpen else { return }
            isOpen = false
            guard H5Fclose(id) >= 0 else { throw StoreError.hdf5Failure(call: "H5Fclose", path: path) }
        }
    }


    /// Creates a file: with `exclusive`, only if nothing exists at `path` (the
    /// write path's temporary files), otherwise truncating. The corresponding
    /// C function is `H5Fcreate`.
    public static func create(_ path: String, exclusive: Bool = false) throws -> HDF5File {
        try withHDF5Lock {
            let mode = exclusive ? asym_H5F_ACC_EXCL() : asym_H5F_ACC_TRUNC()
            let id = H5Fcreate(path, mode, asym_H5P_DEFAULT(), asym_H5P_DEFAULT())
            guard id >= 0 else { throw StoreError.hdf5Failure(call: "H5Fcreate", path: path) }
            return HDF5File(path: path, id: id)
        }
    }

    /// Opens an existing file read-only. The corresponding C function is `H5Fopen`.
    public static func open(_ path: String) throws -> HDF5File {
        try withHDF5Lock {
            guard FileManager.default.fileExists(atPath: path) else { throw StoreError.notFound(path: path) }
            let id = H5Fopen(path, asym_H5F_ACC_RDONLY(), asym_H5P_DEFAULT())
            guard id >= 0 else { throw StoreError.corrupt(path: path, why: "not a readable HDF5 file") }
            return HDF5File(path: path, id: id)
        }
    }

    // MARK: Writing

    public func write(_ name: String, _ values: [Float]) throws { try write(name, values, type: asym_H5T_NATIVE_FLOAT()) }
    public func write(_ name: String, _ values: [Double]) throws { try write(name, values, type: asym_H5T_NATIVE_DOUBLE()) }
    public func write(_ name: String, _ values: [Int64]) throws { try write(name, values, type: asym_H5T_NATIVE_INT64()) }
    public func write(_ name: String, _ values: [UInt64]) throws { try write(name, values, type: asym_H5T_NATIVE_UINT64()) }

    /// A 1-D dataset, stored plain (never chunked or compressed: checkpoints of
    /// large replay buffers are written often and must stay cheap).
    private func write<T>(_ name: String, _ values: [T], type: hid_t) throws {
        try writeShaped(name, values, shape: [values.count], type: type, compress: false)
    }

    /// A scalar fixed-length string dataset (UTF-8).
    public func writeText(_ name: String, _ value: String) throws {
        try withHDF5Lock {
            let bytes = Array(value.utf8)
            let type = try stringType(length: bytes.count)
            defer { H5Tclose(type) }
            let space = H5Screate(H5S_SCALAR)
            guard space >= 0 else { throw StoreError.hdf5(call: "H5Screate", path: path) }
            defer { H5Sclose(space) }
            let dataset = try createDataset(name, type: type, space: space)
            defer { H5Dclose(dataset) }
            let status = (bytes.isEmpty ? [0] : bytes).withUnsafeBytes {
                H5Dwrite(dataset, type, asym_H5S_ALL(), asym_H5S_ALL(), asym_H5P_DEFAULT(), $0.baseAddress)
            }
            guard status >= 0 else { throw StoreError.hdf5Failure(call: "H5Dwrite(\(name))", path: path) }
        }
    }

    /// A string attribute on the root group. The corresponding C function is `H5Acreate2`.
    public func setAttribute(_ name: String, _ value: String) throws {
        try withHDF5Lock {
            let bytes = Array(value.utf8)
            let type = try stringType(length: bytes.count)
            defer { H5Tclose(type) }
            let space = H5Screate(H5S_SCALAR)
            guard space >= 0 else { throw StoreError.hdf5(call: "H5Screate", path: path) }
            defer { H5Sclose(space) }
            if H5Aexists(id, name) > 0 { H5Adelete(id, name) }
            let attr = H5Acreate2(id, name, type, space, asym_H5P_DEFAULT(), asym_H5P_DEFAULT())
            guard attr >= 0 else { throw StoreError.hdf5Failure(call: "H5Acreate2(\(name))", path: path) }
            defer { H5Aclose(attr) }
            let status = (bytes.isEmpty ? [0] : bytes).withUnsafeBytes { H5Awrite(attr, type, $0.baseAddress) }
            guard status >= 0 else { throw StoreError.hdf5Failure(call: "H5Awrite(\(name))", path: path) }
        }
    }

    /// An n-dimensional dataset (row-major, `shape` multiplying to the count),
    /// chunked and deflate-compressed (with byte shuffling) when it is large.
    /// `compress: false` for what is written often and read once (checkpoints).
    public func write(_ name: String, _ values: [Float], shape: [Int], compress: Bool = true) throws {
        try writeShaped(name, values, shape: shape, type: asym_H5T_NATIVE_FLOAT(), compress: compress)
    }
    public func write(_ name: String, _ values: [Double], shape: [Int], compress: Bool = true) throws {
        try writeShaped(name, values, shape: shape, type: asym_H5T_NATIVE_DOUBLE(), compress: compress)
    }
    public func write(_ name: String, _ values: [Int64], shape: [Int]) throws {
        try writeShaped(name, values, shape: shape, type: asym_H5T_NATIVE_INT64())
    }

    /// Datasets of at least this many elements are chunked and compressed.
    static let compressionThreshold = 4096

    /// The one dataset writer. The corresponding C functions are `H5Screate_simple`,
    /// `H5Dcreate2`, `H5Dwrite`. `compress`: chunk and deflate from `compressionThreshold` elements on.
    private func writeShaped<T>(_ name: String, _ values: [T], shape: [Int], type: hid_t, compress: Bool = true) throws {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        try withHDF5Lock {
            var dims = shape.map { hsize_t($0) }
            let space = H5Screate_simple(Int32(dims.count), &dims, nil)
            guard space >= 0 else { throw StoreError.hdf5Failure(call: "H5Screate_simple", path: path) }
            defer { H5Sclose(space) }
            var chunk: [hsize_t]? = nil
            if compress, values.count >= Self.compressionThreshold, !shape.isEmpty {
                // About 64 k elements per chunk, whole rows of the trailing dimensions.
                let rowSize = max(1, shape.dropFirst().reduce(1, *))
                let rows = max(1, min(shape[0], 65_536 / rowSize))
                chunk = [hsize_t(rows)] + shape.dropFirst().map { hsize_t($0) }
            }
            let dataset = try createDataset(name, type: type, space: space, chunk: chunk)
            defer { H5Dclose(dataset) }
            let status = values.withUnsafeBytes { buf in
                H5Dwrite(dataset, type, asym_H5S_ALL(), asym_H5S_ALL(), asym_H5P_DEFAULT(), buf.baseAddress)
            }
            guard status >= 0 else { throw StoreError.hdf5Failure(call: "H5Dwrite(\(name))", path: path) }
        }
    }

    /// A variable-length UTF-8 string attribute on the root group (what h5py
    /// reads as `str`).
    public func setTextAttribute(_ name: String, _ value: String) throws {
        try withHDF5Lock {
            let type = H5Tcopy(asym_H5T_C_S1())
            guard type >= 0, H5Tset_size(type, asym_H5T_VARIABLE()) >= 0, H5Tset_cset(type, H5T_CSET_UTF8) >= 0 else {
                throw StoreError.hdf5Failure(call: "H5Tset_size", path: path)
            }
            defer { H5Tclose(type) }
            let space = H5Screate(H5S_SCALAR)
            guard space >= 0 else { throw StoreError.hdf5Failure(call: "H5Screate", path: path) }
            defer { H5Sclose(space) }
            if H5Aexists(id, name) > 0 { H5Adelete(id, name) }
            let attr = H5Acreate2(id, name, type, space, asym_H5P_DEFAULT(), asym_H5P_DEFAULT())
            guard attr >= 0 else { throw StoreError.hdf5Failure(call: "H5Acreate2(\(name))", path: path) }
            defer { H5Aclose(attr) }
            let status = value.withCString { cString -> herr_t in
                var pointer: UnsafePointer<CChar>? = cString
                return H5Awrite(attr, type, &pointer)
            }
            guard status >= 0 else { throw StoreError.hdf5Failure(call: "H5Awrite(\(name))", path: path) }
        }
    }

    /// Names of the root group's attributes, sorted.
    public func attributeNames() throws -> [String] {
        try withHDF5Lock {
            final class Collector { var names: [String] = [] }
            let collector = Collector()
            var index: hsize_t = 0
            let status = H5Aiterate2(id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, data in
                guard let name, let data else { return 0 }
                Unmanaged<Collector>.fromOpaque(data).takeUnretainedValue().names.append(String(cString: name))
                return 0
            }, Unmanaged.passUnretained(collector).toOpaque())
            guard status >= 0 else { throw StoreError.hdf5(call: "H5Aiterate2", path: path) }
            return collector.names.sorted()
        }
    }

    /// A dataset's dimensions (empty for a scalar).
    public func shape(_ name: String) throws -> [Int] {
        try withHDF5Lock {
            let dataset = H5Dopen2(id, name, asym_H5P_DEFAULT())
            guard dataset >= 0 else { throw StoreError.missingDataset(name: name, path: path) }
            defer { H5Dclose(dataset) }
            let space = H5Dget_space(dataset)
            guard space >= 0 else { throw StoreError.hdf5(call: "H5Dget_space(\(name))", path: path) }
            defer { H5Sclose(space) }
            let rank = H5Sget_simple_extent_ndims(space)
            guard rank >= 0 else { throw StoreError.hdf5(call: "H5Sget_simple_extent_ndims(\(name))", path: path) }
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            guard rank == 0 || H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
                throw StoreError.hdf5(call: "H5Sget_simple_extent_dims(\(name))", path: path)
            }
            return dims.map { Int($0) }
        }
    }

    private func stringType(length: Int) throws -> hid_t {
        let type = H5Tcopy(asym_H5T_C_S1())
        guard type >= 0, H5Tset_size(type, max(length, 1)) >= 0 else {
            throw StoreError.hdf5(call: "H5Tset_size", path: path)
        }
        H5Tset_cset(type, H5T_CSET_UTF8)
        return type
    }

    private func createDataset(_ name: String, type: hid_t, space: hid_t, chunk: [hsize_t]? = nil) throws -> hid_t {
        let linkProperties = H5Pcreate(asym_H5P_LINK_CREATE())
        guard linkProperties >= 0 else { throw StoreError.hdf5(call: "H5Pcreate", path: path) }
        defer { H5Pclose(linkProperties) }
        H5Pset_create_intermediate_group(linkProperties, 1)
        let datasetProperties = H5Pcreate(asym_H5P_DATASET_CREATE())
        guard datasetProperties >= 0 else { throw StoreError.hdf5(call: "H5Pcreate", path: path) }
        defer { H5Pclose(datasetProperties) }
        H5Pset_obj_track_times(datasetProperties, false)   // no timestamps: equal content, equal bytes
        if var chunk {
            guard H5Pset_chunk(datasetProperties, Int32(chunk.count), &chunk) >= 0,
                  H5Pset_shuffle(datasetProperties) >= 0, H5Pset_deflate(datasetProperties, 4) >= 0 else {
                throw StoreError.hdf5Failure(call: "H5Pset_chunk(\(name))", path: path)
            }
        }
        let dataset = H5Dcreate2(id, name, type, space, linkProperties, datasetProperties, asym_H5P_DEFAULT())
        guard dataset >= 0 else { throw StoreError.hdf5Failure(call: "H5Dcreate2(\(name))", path: path) }
        return dataset
    }

    // MARK: Reading

    /// A root attribute, or nil when absent.
    public func attribute(_ name: String) throws -> String? {
        try withHDF5Lock {
            guard H5Aexists(id, name) > 0 else { return nil }
            let attr = H5Aopen(id, name, asym_H5P_DEFAULT())
            guard attr >= 0 else { throw StoreError.hdf5(call: "H5Aopen(\(name))", path: path) }
            defer { H5Aclose(attr) }
            let type = H5Aget_type(attr)
            defer { H5Tclose(type) }
            if H5Tis_variable_str(type) > 0 {
                let memType = H5Tcopy(asym_H5T_C_S1())
                defer { H5Tclose(memType) }
                guard H5Tset_size(memType, asym_H5T_VARIABLE()) >= 0, H5Tset_cset(memType, H5T_CSET_UTF8) >= 0 else {
                    throw StoreError.hdf5(call: "H5Tset_size", path: path)
                }
                var pointer: UnsafeMutablePointer<CChar>? = nil
                guard H5Aread(attr, memType, &pointer) >= 0 else { throw StoreError.hdf5(call: "H5Aread(\(name))", path: path) }
                defer { if let pointer { H5free_memory(pointer) } }
                return pointer.map { String(cString: $0) } ?? ""
            }
            let size = H5Tget_size(type)
            var buffer = [UInt8](repeating: 0, count: size + 1)
            guard buffer.withUnsafeMutableBytes({ H5Aread(attr, type, $0.baseAddress) }) >= 0 else {
                throw StoreError.hdf5(call: "H5Aread(\(name))", path: path)
            }
            return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Paths of every dataset, sorted. The corresponding C function is `H5Lvisit`.
    public func datasetNames() throws -> [String] {
        try withHDF5Lock {
            final class Collector { var names: [String] = [] }
            let collector = Collector()
            let status = H5Lvisit(id, H5_INDEX_NAME, H5_ITER_INC, { group, name, _, data in
                guard let name, let data else { return 0 }
                var info = H5O_info_t()
                if H5Oget_info_by_name2(group, name, &info, UInt32(H5O_INFO_BASIC), asym_H5P_DEFAULT()) >= 0,
                   info.type == H5O_TYPE_DATASET {
                    Unmanaged<Collector>.fromOpaque(data).takeUnretainedValue().names.append(String(cString: name))
                }
                return 0
            }, Unmanaged.passUnretained(collector).toOpaque())
            guard status >= 0 else { throw StoreError.hdf5(call: "H5Lvisit", path: path) }
            return collector.names.sorted()
        }
    }

    /// A dataset in its stored type.
    public func read(_ name: String) throws -> HDF5Array {
        try withHDF5Lock {
            let dataset = H5Dopen2(id, name, asym_H5P_DEFAULT())
            guard dataset >= 0 else { throw StoreError.missingDataset(name: name, path: path) }
            defer { H5Dclose(dataset) }
            let type = H5Dget_type(dataset)
            defer { H5Tclose(type) }
            let space = H5Dget_space(dataset)
            defer { H5Sclose(space) }
            let count = Int(H5Sget_simple_extent_npoints(space))
            func readAll<T>(_ zero: T, _ memType: hid_t) throws -> [T] {
                var values = [T](repeating: zero, count: count)
                guard count == 0 || values.withUnsafeMutableBytes({
                    H5Dread(dataset, memType, asym_H5S_ALL(), asym_H5S_ALL(), asym_H5P_DEFAULT(), $0.baseAddress)
                }) >= 0 else { throw StoreError.hdf5(call: "H5Dread(\(name))", path: path) }
                return values
            }
            switch H5Tget_class(type) {
            case H5T_FLOAT:
                return H5Tget_size(type) == 4 ? .floats(try readAll(Float(0), asym_H5T_NATIVE_FLOAT()))
                                               : .doubles(try readAll(0.0, asym_H5T_NATIVE_DOUBLE()))
            case H5T_INTEGER:
                return H5Tget_sign(type) == H5T_SGN_NONE ? .words(try readAll(UInt64(0), asym_H5T_NATIVE_UINT64()))
                                                         : .integers(try readAll(Int64(0), asym_H5T_NATIVE_INT64()))
            case H5T_STRING:
                let size = H5Tget_size(type)
                var buffer = [UInt8](repeating: 0, count: size + 1)
                guard buffer.withUnsafeMutableBytes({
                    H5Dread(dataset, type, asym_H5S_ALL(), asym_H5S_ALL(), asym_H5P_DEFAULT(), $0.baseAddress)
                }) >= 0 else { throw StoreError.hdf5(call: "H5Dread(\(name))", path: path) }
                return .text(String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self))
            default:
                throw StoreError.corrupt(path: path, why: "dataset '\(name)' has an unsupported type")
            }
        }
    }
}

// MARK: - What the operating system said

/// The `errno` HDF5's file driver recorded for the most recent failed call
/// ("…, errno = 28, error message = 'No space left on device', …" in the
/// error stack's descriptions), or nil when the failure was not a system call's.
func hdf5SystemErrno() -> Int32? {
    final class Found { var errno: Int32? }
    let found = Found()
    _ = H5Ewalk2(asym_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, description, data in
        guard let description, let text = description.pointee.desc, let data else { return 0 }
        let box = Unmanaged<Found>.fromOpaque(data).takeUnretainedValue()
        guard box.errno == nil, let range = String(cString: text).range(of: "errno = ") else { return 0 }
        let digits = String(cString: text)[range.upperBound...].prefix { $0.isNumber }
        box.errno = Int32(digits)
        return 0
    }, Unmanaged.passUnretained(found).toOpaque())
    return found.errno
}
