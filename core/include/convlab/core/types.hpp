#pragma once
/// \file
/// The vector and matrix types every component of convlab is written with (docs/architecture.md).

#include <Eigen/Core>

namespace convlab {

template <class S>
using VecX = Eigen::Matrix<S, Eigen::Dynamic, 1>;
template <class S>
using MatX = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>;
/// Read-only vector argument: binds a VectorX, a Map over `const S*`, or a contiguous block.
template <class S>
using In = Eigen::Ref<const VecX<S>>;
/// Writable vector argument: binds a VectorX, a Map over `S*`, or a contiguous block.
template <class S>
using Out = Eigen::Ref<VecX<S>>;

}  // namespace convlab
