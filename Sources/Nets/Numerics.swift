import CBLAS

/// The numerics of this process: which BLAS kernel computes its numbers. The
/// kernel decides the bits of every sgemm result, so `Numerics.id` is stored in
/// every checkpoint and artifact and is part of every cache key.
///
/// Interface shared by the store (which hashes `id`) and the numerics profile
/// (which chooses the kernel before OpenBLAS loads).
public enum Numerics {
    /// The kernel OpenBLAS is using (`openblas_get_corename()`), e.g. "Haswell".
    public static var kernel: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Names the library and kernel that compute this process's numbers,
    /// e.g. "openblas/Haswell". Results computed under different ids may differ
    /// in their last bits, so they are never mixed in one cache key.
    public static var id: String { "openblas/\(kernel)" }
}
