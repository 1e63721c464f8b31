#include "cli/mpi_session.hpp"

#include <cstdlib>

#ifdef CONVLAB_EXPERIMENTS_MPI
#include <mpi.h>
#endif

namespace convlab::experiments::mpi_session {
namespace {
bool g_active = false;
int g_rank = 0, g_size = 1;
}  // namespace

bool start(int* argc, char*** argv) {
#ifdef CONVLAB_EXPERIMENTS_MPI
  if (!std::getenv("OMPI_COMM_WORLD_SIZE") && !std::getenv("PMI_SIZE")) return false;
  MPI_Init(argc, argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  g_active = true;
  return true;
#else
  (void)argc;
  (void)argv;
  return false;
#endif
}

void stop() {
#ifdef CONVLAB_EXPERIMENTS_MPI
  if (g_active) MPI_Finalize();
#endif
  g_active = false;
}

bool active() { return g_active; }
int rank() { return g_rank; }
int size() { return g_size; }

void abort(int code) {
#ifdef CONVLAB_EXPERIMENTS_MPI
  if (g_active) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  (void)code;
}

}  // namespace convlab::experiments::mpi_session
