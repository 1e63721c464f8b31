#pragma once
/// \file
/// A finite-sum problem whose rows are spread over the ranks of an MPI communicator: a
/// BlockedProblem (blocked_problem.hpp) whose partials travel by MpiExchange. Every rank holds
/// one problem per block of its rows (split_into_blocks over its shard, e.g. from
/// read_libsvm_shard / read_csv_shard) and calls every method collectively; values, gradients,
/// minibatches, Hessians and Lipschitz bounds are the same bits on any number of ranks and the
/// same as one process holding every block. See docs/distributed.md.

#include <memory>

#include <convlab/problems/blocked_problem.hpp>

#include "mpi_exchange.hpp"

namespace convlab::mpi {

template <problems::FiniteSum<double> P>
class ShardedProblem : public problems::BlockedProblem<P> {
 public:
  /// `blocks`: one problem per block of this rank, in block order.
  ShardedProblem(std::vector<P> blocks, problems::BlockLayout layout, MPI_Comm comm)
      : problems::BlockedProblem<P>(std::move(blocks), layout, std::make_shared<MpiExchange>(comm)) {}
};

}  // namespace convlab::mpi
