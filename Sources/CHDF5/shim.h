// HDF5 exposes its property-list and type identifiers as macros that expand to
// global variables behind H5open(); Swift cannot import those macros, so each
// one becomes a static inline function here. No stable Swift API: Store wraps it.
#include <hdf5.h>

static inline hid_t asym_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t asym_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t asym_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t asym_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t asym_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t asym_H5T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t asym_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t asym_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t asym_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t asym_H5P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t asym_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline unsigned asym_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned asym_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned asym_H5F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned asym_H5F_ACC_EXCL(void) { return H5F_ACC_EXCL; }
static inline size_t asym_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline hid_t asym_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline hid_t asym_H5S_SCALAR(void) { return H5S_SCALAR; }
