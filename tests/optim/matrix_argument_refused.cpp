// Must NOT compile: a row-major matrix given to an optimizer. Column-major matrices step as
// their whole storage (tests/optim/optimizers_test.cpp); a row-major one is refused with a
// message rather than stepped in an order its shape does not say. CTest builds this file and
// expects the static assertion's message.
#include <convlab/optim/adamw.hpp>

void train_a_row_major_weight_matrix() {
  const convlab::optim::AdamW<float> opt;
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> W(4, 3), G(4, 3);
  W.setOnes();
  G.setOnes();
  auto state = opt.init(W);
  opt.step(W, G, state, 0.1f);
}
