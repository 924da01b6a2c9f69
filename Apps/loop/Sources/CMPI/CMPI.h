#include <mpi.h>

// Open MPI's handles are macros over its globals, which Swift does not import; these return them.
static inline MPI_Comm loop_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype loop_mpi_float(void) { return MPI_FLOAT; }
