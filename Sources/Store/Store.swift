// Store: the content-addressed HDF5 artifact store (see DESIGN.md).
import CHDF5
