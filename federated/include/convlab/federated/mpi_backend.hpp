#pragma once
/// \file
/// The MPI backend of the federated server (needs the `convlab::mpi` target): clients are
/// spread over the ranks of a communicator in contiguous blocks (client n lives on rank
/// ⌊n·R/N⌋ — rank order is client order), every rank runs the local training of its
/// participating clients, and only participants send: the root receives d·|S_t| numbers per
/// round through one MPI_Gatherv (never an N·d message), aggregates, and broadcasts the new
/// model (d numbers). Blocking collectives only — no polling loops of ours. The root sums in
/// client order, so the model is bit-identical to the in-process backend for any rank count.
///
/// Failure: MPI collectives cannot be cancelled, so a rank that throws must take the job down
/// (MPI_Abort, as `convlab` does) — otherwise the others wait in the next collective forever.

#include <mpi.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

namespace convlab::federated {

class MpiBackend {
 public:
  MpiBackend(MPI_Comm comm, std::size_t clients, Eigen::Index dim) : comm_(comm), N_(clients), d_(dim) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    convlab::detail::require(clients >= 1, "MpiBackend: clients", clients, ">= 1");
    first_.resize(static_cast<std::size_t>(size_) + 1);
    for (int r = 0; r <= size_; ++r) first_[static_cast<std::size_t>(r)] = N_ * static_cast<std::size_t>(r) / static_cast<std::size_t>(size_);
  }
  bool is_root() const { return rank_ == 0; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Clients [first, last) of rank r.
  std::size_t first_client(int r) const { return first_[static_cast<std::size_t>(r)]; }
  std::size_t owner(std::size_t client) const {
    return static_cast<std::size_t>(std::upper_bound(first_.begin(), first_.end(), client) - first_.begin() - 1);
  }
  /// Bytes this rank sent in the last round's gather and broadcast (the root counts the broadcast).
  std::size_t bytes_sent_last_round() const { return bytes_; }

  template <class F>
  void local_updates(const std::vector<std::size_t>& participants, F&& compute, MatX<double>& deltas) {
    std::vector<int> counts(static_cast<std::size_t>(size_), 0), displs(static_cast<std::size_t>(size_), 0);
    std::vector<std::size_t> mine;
    for (std::size_t n : participants) {
      const std::size_t r = owner(n);
      counts[r] += static_cast<int>(d_);
      if (static_cast<int>(r) == rank_) mine.push_back(n);
    }
    for (int r = 1; r < size_; ++r) displs[static_cast<std::size_t>(r)] = displs[static_cast<std::size_t>(r) - 1] + counts[static_cast<std::size_t>(r) - 1];
    MatX<double> local(d_, static_cast<Eigen::Index>(mine.size()));
    for (std::size_t j = 0; j < mine.size(); ++j) compute(mine[j], local.col(static_cast<Eigen::Index>(j)));
    if (rank_ == 0) deltas.resize(d_, static_cast<Eigen::Index>(participants.size()));
    MPI_Gatherv(local.data(), static_cast<int>(local.size()), MPI_DOUBLE, rank_ == 0 ? deltas.data() : nullptr, counts.data(), displs.data(),
                MPI_DOUBLE, 0, comm_);
    bytes_ = rank_ == 0 ? 0 : static_cast<std::size_t>(local.size()) * sizeof(double);
  }

  template <class F>
  void client_values(std::size_t N, F&& value_of, VecX<double>& values) {
    if (N != N_) throw InvalidArgument("MpiBackend::client_values: " + std::to_string(N) + " clients, the backend was built for " + std::to_string(N_));
    const std::size_t lo = first_[static_cast<std::size_t>(rank_)], hi = first_[static_cast<std::size_t>(rank_) + 1];
    VecX<double> local(static_cast<Eigen::Index>(hi - lo));
    for (std::size_t n = lo; n < hi; ++n) local[static_cast<Eigen::Index>(n - lo)] = value_of(n);
    std::vector<int> counts(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
    for (int r = 0; r < size_; ++r) {
      counts[static_cast<std::size_t>(r)] = static_cast<int>(first_[static_cast<std::size_t>(r) + 1] - first_[static_cast<std::size_t>(r)]);
      displs[static_cast<std::size_t>(r)] = static_cast<int>(first_[static_cast<std::size_t>(r)]);
    }
    if (rank_ == 0) values.resize(static_cast<Eigen::Index>(N_));
    MPI_Gatherv(local.data(), static_cast<int>(local.size()), MPI_DOUBLE, rank_ == 0 ? values.data() : nullptr, counts.data(), displs.data(),
                MPI_DOUBLE, 0, comm_);
  }

  void broadcast(VecX<double>& x) {
    MPI_Bcast(x.data(), static_cast<int>(x.size()), MPI_DOUBLE, 0, comm_);
    if (rank_ == 0) bytes_ += static_cast<std::size_t>(x.size()) * sizeof(double) * static_cast<std::size_t>(size_ - 1);
  }
  void broadcast(std::vector<char>& bytes) {
    unsigned long long n = bytes.size();
    MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, 0, comm_);
    bytes.resize(n);
    MPI_Bcast(bytes.data(), static_cast<int>(n), MPI_CHAR, 0, comm_);
  }

 private:
  MPI_Comm comm_;
  std::size_t N_;
  Eigen::Index d_;
  int rank_ = 0, size_ = 1;
  std::vector<std::size_t> first_;
  std::size_t bytes_ = 0;
};

}  // namespace convlab::federated
