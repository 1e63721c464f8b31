// The serial packed GEMM behind the nuclear κ (optim/detail/packed_gemm.hpp): C += α·op(A)·op(B)
// against Eigen's own product, for every transpose and for shapes that cross each block size;
// no allocation once reserved; and the bits depend only on the fixed kc-deep panels (a product
// split by hand at kc gives the same bits), never on the machine's caches or the thread count.
#include <convlab/optim/detail/packed_gemm.hpp>

#include "test_support.hpp"

using convlab::MatX;
using Gemm = convlab::optim::detail::PackedGemm<double>;

namespace {

// op(A)·op(B) with op(A) rows × depth, op(B) depth × cols, operands stored as the kernel reads them.
struct Operands {
  MatX<double> A, B;
};
template <bool TA, bool TB>
Operands random_operands(Eigen::Index rows, Eigen::Index cols, Eigen::Index depth, std::mt19937_64& rng) {
  return {convlab::test::random_matrix<double>(TA ? depth : rows, TA ? rows : depth, rng),
          convlab::test::random_matrix<double>(TB ? cols : depth, TB ? depth : cols, rng)};
}
template <bool T> MatX<double> op(const MatX<double>& M) { return T ? MatX<double>(M.transpose()) : M; }

template <bool TA, bool TB>
void expect_matches_eigen(Eigen::Index rows, Eigen::Index cols, Eigen::Index depth, std::mt19937_64& rng) {
  const auto [A, B] = random_operands<TA, TB>(rows, cols, depth, rng);
  const MatX<double> C0 = convlab::test::random_matrix<double>(rows, cols, rng);
  MatX<double> C = C0;
  Gemm gemm;
  gemm.add<TA, TB>(C, -0.5, A, B);
  const MatX<double> expected = C0 - 0.5 * (op<TA>(A) * op<TB>(B));
  // Round-off of a depth-term sum, relative to the sum of the terms' magnitudes.
  const MatX<double> scale = op<TA>(A).cwiseAbs() * op<TB>(B).cwiseAbs() + C0.cwiseAbs();
  const double eps = std::numeric_limits<double>::epsilon();
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i)
      ASSERT_LE(std::abs(C(i, j) - expected(i, j)), 2 * (depth + 2) * eps * scale(i, j))
          << rows << "x" << cols << " depth " << depth << " transposes " << TA << TB << " at " << i << "," << j;
}

}  // namespace

TEST(PackedGemm, MatchesEigensProductForEveryTransposeAcrossTheBlockSizes) {
  std::mt19937_64 rng(convlab::test::test_seed() + 41);
  // kc = mc = 256, nc = 1024: one block, a remainder in each dimension, and tiny and empty shapes.
  for (auto [r, c, d] : {std::tuple<Eigen::Index, Eigen::Index, Eigen::Index>{1, 1, 1}, {7, 5, 3}, {0, 4, 3}, {4, 3, 0},
                         {300, 40, 530}, {40, 1030, 257}, {513, 9, 64}}) {
    expect_matches_eigen<false, false>(r, c, d, rng);
    expect_matches_eigen<true, false>(r, c, d, rng);
    expect_matches_eigen<false, true>(r, c, d, rng);
    expect_matches_eigen<true, true>(r, c, d, rng);
  }
}

TEST(PackedGemm, ProductsWithinTheReservedSizeDoNotAllocate) {
  std::mt19937_64 rng(convlab::test::test_seed() + 42);
  Gemm gemm;
  gemm.reserve(600, 600, 600);
  const auto [A, B] = random_operands<true, false>(600, 300, 600, rng);
  MatX<double> C = MatX<double>::Zero(600, 300), D = MatX<double>::Zero(600, 300);
  Eigen::internal::set_is_malloc_allowed(false);
  gemm.add<true, false>(C, 1.0, A, B);
  gemm.add<false, false>(D, 1.0, A.topRows(600), B);  // another shape within the reservation
  Eigen::internal::set_is_malloc_allowed(true);
  EXPECT_GT(C.norm(), 0);
  EXPECT_GT(D.norm(), 0);
}

// The summation order of each coefficient is fixed by the kc-deep panels alone: adding the
// product of the first kc columns of A, then of the rest, gives the full product's bits.
TEST(PackedGemm, BitsAreThoseOfTheFixedDepthPanels) {
  std::mt19937_64 rng(convlab::test::test_seed() + 43);
  const Eigen::Index rows = 700, cols = 1100, depth = Gemm::kc + 90;
  const auto [A, B] = random_operands<false, false>(rows, cols, depth, rng);
  MatX<double> whole = MatX<double>::Zero(rows, cols), split = whole;
  Gemm gemm;
  gemm.add<false, false>(whole, 0.75, A, B);
  gemm.add<false, false>(split, 0.75, A.leftCols(Gemm::kc), B.topRows(Gemm::kc));
  gemm.add<false, false>(split, 0.75, A.rightCols(depth - Gemm::kc), B.bottomRows(depth - Gemm::kc));
  EXPECT_TRUE((whole.array() == split.array()).all());
}
