#pragma once
/// \file
/// C += α·op(A)·op(B) by Eigen's blocked GEMM kernel, serial, over packing buffers allocated
/// once and with a fixed blocking. The nuclear κ's Newton–Schulz iteration is two such products
/// per step (docs/optim.md, "The nuclear κ").
///
/// Why not `C.noalias() += A * B`: Eigen's public product (3.4) allocates its packing buffers on
/// every call once they pass 128 KiB (an optimizer step must not allocate), chooses its blocking
/// from the CPU's cache sizes and splits the work over OpenMP threads (the order in which a
/// coefficient's terms are added would then depend on the machine and the thread count). The
/// lazy product avoids all three but runs 3–10× slower than the blocked kernel (bench/README.md,
/// "The nuclear κ"). Here Eigen's own kernel is called through `Eigen::internal` (the entry point
/// its product evaluator uses, Eigen 3.4) with our buffers and blocking: no allocation, and the
/// same bits for any thread count and any cache sizes.

#include <algorithm>

#include <Eigen/Core>

#include <convlab/problems/concepts.hpp>

namespace convlab::optim::detail {

template <class S>
class PackedGemm {
 public:
  /// Fixed blocking: a kc-deep panel of A (mc × kc) and of B (kc × nc) is packed and multiplied
  /// at a time. kc = 256 keeps the kernel's micro-panels in a 32 KiB L1; mc·kc floats (256 KiB)
  /// fit a common L2. Fixed, never read from the CPU, so the summation order is the same on
  /// every machine.
  static constexpr Eigen::Index kc = 256, mc = 256, nc = 1024;

  /// Sizes the packing buffers for products with up to these dimensions (op(A) rows × depth,
  /// op(B) depth × cols). Allocates; call it before the loop. Later calls only grow.
  void reserve(Eigen::Index rows, Eigen::Index cols, Eigen::Index depth) {
    const Eigen::Index k = std::min(depth, kc);
    if (pack_a_.size() < std::min(rows, mc) * k) pack_a_.resize(std::min(rows, mc) * k);
    if (pack_b_.size() < std::min(cols, nc) * k) pack_b_.resize(std::min(cols, nc) * k);
  }

  /// C += alpha · op(A) · op(B), op(M) = Mᵀ when Transpose… is true. Column-major operands, C must
  /// not alias A or B. Allocation-free when `reserve` covered the dimensions (checked).
  template <bool TransposeA, bool TransposeB, class MA, class MB>
  void add(Eigen::Ref<MatX<S>> C, S alpha, const MA& A, const MB& B) {
    const Eigen::Index rows = TransposeA ? A.cols() : A.rows(), depth = TransposeA ? A.rows() : A.cols();
    eigen_assert(C.rows() == rows && C.cols() == (TransposeB ? B.rows() : B.cols()) &&
                 depth == (TransposeB ? B.cols() : B.rows()));
    const Eigen::Index cols = C.cols();
    if (rows == 0 || cols == 0 || depth == 0) return;
    reserve(rows, cols, depth);  // a no-op when the caller reserved (as the optimizer does)
    // A column-major M read as row-major is Mᵀ, with the same pointer and stride.
    using Product = Eigen::internal::general_matrix_matrix_product<
        Eigen::Index, S, TransposeA ? Eigen::RowMajor : Eigen::ColMajor, false, S,
        TransposeB ? Eigen::RowMajor : Eigen::ColMajor, false, Eigen::ColMajor, 1>;
    Blocking blocking(pack_a_.data(), pack_b_.data(), std::min(depth, kc));
    Product::run(rows, cols, depth, A.data(), A.outerStride(), B.data(), B.outerStride(), C.data(), 1,
                 C.outerStride(), alpha, blocking, nullptr);  // no parallel info: serial
  }

 private:
  /// A view that hands the kernel our buffers and blocking (Eigen's level3_blocking has no
  /// destructor of its own, so nothing is freed twice).
  struct Blocking : Eigen::internal::level3_blocking<S, S> {
    Blocking(S* a, S* b, Eigen::Index depth_block) {
      this->m_blockA = a;
      this->m_blockB = b;
      this->m_kc = depth_block;  // a shallow product packs B once
      this->m_mc = mc;
      this->m_nc = nc;
    }
  };
  VecX<S> pack_a_, pack_b_;  // aligned as Eigen's packing stores need
};

}  // namespace convlab::optim::detail
