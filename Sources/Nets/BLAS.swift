import CBLAS

/// Pins OpenBLAS to one thread: parallelism comes from running many training
/// processes, and one thread keeps results independent of the machine.
/// The corresponding C function is `openblas_set_num_threads`.
public func setSingleThreadedBLAS() {
    openblas_set_num_threads(1)
}
