#pragma once
// MPI for the `convlab` executable, started only when mpirun launched it (Open MPI and PMI set
// OMPI_COMM_WORLD_SIZE / PMI_SIZE), so a plain `convlab` never pays MPI's start-up. Without
// MPI support compiled in, everything reports one rank.
namespace convlab::experiments::mpi_session {

/// Calls MPI_Init when launched by mpirun (and MPI is compiled in); returns whether it did.
bool start(int* argc, char*** argv);
/// MPI_Finalize if started.
void stop();
bool active();
int rank();
int size();
/// Ends every rank of the job with `code` (MPI_Abort); a no-op without an active session.
void abort(int code);

}  // namespace convlab::experiments::mpi_session
