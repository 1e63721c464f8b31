// The README's example, built and run by CTest (label docs); its output is readme.out.
#include <convlab/optim/adamw.hpp>
#include <convlab/optim/minimize.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/synthetic.hpp>
#include <convlab/schedules/linear.hpp>
#include <iostream>

int main() {
  auto [A, y] = convlab::problems::make_blobs({.n = 1000, .d = 20, .seed = 42});
  convlab::problems::Logistic<double> f(A, y, {.l2 = 1e-3});
  Eigen::VectorXd x = Eigen::VectorXd::Zero(f.dim());
  auto summary = convlab::optim::minimize(f, convlab::optim::AdamW<double>({.weight_decay = 0}), x,
                                          {.max_iterations = 2000}, convlab::schedules::linear_decay(1e-2, 2000));
  std::cout << summary.brief_report() << '\n';  // status, iterations, f0 -> f*, |g|, seconds
}
