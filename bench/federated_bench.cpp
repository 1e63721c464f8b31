// Federated rounds per second (issue: N = 1000 clients, d = 1000, I = 5): the in-process
// backend with 1 and 2 threads, and — when started by mpirun — the MPI backend, whose speed is
// reported as a ratio to the in-process backend on one thread measured in the same process (rank
// 0, before the MPI rounds), with the bytes each round moves. Plain timing, not Google
// Benchmark: its repetitions cannot be synchronized across ranks.
//   federated_bench [--rounds R] [--clients N] [--dim d] [--smoke]
//   mpirun -n 2 federated_bench
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>

#include <convlab/federated/mpi_backend.hpp>
#include <convlab/federated/server.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/problems/logistic.hpp>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace cf = convlab::federated;
using convlab::MatX;
using convlab::VecX;

namespace {

std::vector<convlab::problems::Logistic<double>> make_clients(long long N, long long d, long long rows) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> G;
  std::vector<convlab::problems::Logistic<double>> clients;
  clients.reserve(static_cast<std::size_t>(N));
  for (long long n = 0; n < N; ++n) {
    MatX<double> A(rows, d);
    for (Eigen::Index i = 0; i < A.size(); ++i) A.data()[i] = G(rng);
    VecX<double> y(rows);
    for (Eigen::Index i = 0; i < rows; ++i) y[i] = G(rng) > 0 ? 1 : -1;
    clients.emplace_back(std::move(A), y, convlab::problems::LinearModelOptions{.l2 = 0.01});
  }
  return clients;
}

struct Timing {
  double rounds_per_second = 0;
  VecX<double> x;
};

template <class Backend>
Timing time_rounds(const std::vector<convlab::problems::Logistic<double>>& clients, Backend& backend, long long rounds, bool root) {
  const auto N = clients.size();
  const Eigen::Index d = clients.front().dim();
  std::vector<double> p(N, 0.1);
  cf::Participation part(p, {.seed = 3});
  cf::Aggregator agg(cf::AggregatorKind::FedAU, N, d);
  cf::ServerState s{.x = VecX<double>::Zero(d)};
  const convlab::optim::Sgd<double> sgd;
  const cf::LocalTraining lt{.steps = 5, .batch = 0, .lr = 0.01};
  const auto start = std::chrono::steady_clock::now();
  cf::run_server(clients, sgd, lt, part, agg, {.rounds = rounds, .eval_every = rounds, .seed = 3}, backend, s);
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  (void)root;
  return {static_cast<double>(rounds) / sec, s.x};
}

}  // namespace

int main(int argc, char** argv) {
  long long rounds = 40, N = 1000, d = 1000, rows = 16;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--smoke") rounds = 3, N = 40, d = 50;
    else if (a == "--rounds" && i + 1 < argc) rounds = std::atoll(argv[++i]);
    else if (a == "--clients" && i + 1 < argc) N = std::atoll(argv[++i]);
    else if (a == "--dim" && i + 1 < argc) d = std::atoll(argv[++i]);
  }
  const bool under_mpirun = std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr;
  const auto clients = make_clients(N, d, rows);
  if (!under_mpirun) {
    double rate[3] = {0, 0, 0};
    VecX<double> x1;
    for (int threads : {1, 2}) {
#ifdef _OPENMP
      omp_set_num_threads(threads);
#endif
      cf::InProcessBackend backend(d);
      time_rounds(clients, backend, 2, true);  // warm-up
      const auto t = time_rounds(clients, backend, rounds, true);
      rate[threads] = t.rounds_per_second;
      if (threads == 1) x1 = t.x;
      else if (t.x != x1) {
        std::fprintf(stderr, "error: 2 threads changed the model\n");
        return 1;
      }
    }
    std::printf("in-process, N = %lld, d = %lld, I = 5, p = 0.1: 1 thread %.1f rounds/s, 2 threads %.1f rounds/s (speedup %.2f)\n", N, d, rate[1],
                rate[2], rate[2] / rate[1]);
    return 0;
  }
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  double baseline = 0;
  VecX<double> x_ref;
  if (rank == 0) {
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    cf::InProcessBackend backend(d);
    time_rounds(clients, backend, 2, true);
    const auto t = time_rounds(clients, backend, rounds, true);
    baseline = t.rounds_per_second;
    x_ref = t.x;
  }
  {
    // The other ranks wait for rank 0's baseline asleep, not in MPI's busy-polling barrier, so the
    // baseline has the machine to itself.
    MPI_Request req;
    MPI_Ibarrier(MPI_COMM_WORLD, &req);
    int done = 0;
    while (!done) {
      MPI_Test(&req, &done, MPI_STATUS_IGNORE);
      if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
#ifdef _OPENMP
  omp_set_num_threads(1);
#endif
  cf::MpiBackend backend(MPI_COMM_WORLD, static_cast<std::size_t>(N), d);
  time_rounds(clients, backend, 2, rank == 0);
  // Bytes per round: gather (participants' d numbers each) + broadcast (d to each other rank).
  const auto t = time_rounds(clients, backend, rounds, rank == 0);
  unsigned long long sent = backend.bytes_sent_last_round(), total = 0;
  MPI_Reduce(&sent, &total, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    if (t.x != x_ref) {
      std::fprintf(stderr, "error: the MPI model differs from the in-process one\n");
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    std::printf("MPI, %d rank%s, N = %lld, d = %lld: %.1f rounds/s; in-process 1 thread %.1f rounds/s; ratio %.2f; bytes moved in the last round %llu "
                "(%.1f kB; an all-clients gather would be %.1f kB)\n",
                size, size == 1 ? "" : "s", N, d, t.rounds_per_second, baseline, t.rounds_per_second / baseline, total, total / 1e3,
                static_cast<double>(N * d) * 8 / 1e3);
  }
  MPI_Finalize();
  return 0;
}
