// A tiny program a user could write: least squares through convlab, checked against QR.
#include <convlab/optim/gradient_descent.hpp>
#include <convlab/optim/minimize.hpp>
#include <convlab/problems/least_squares.hpp>
#include <Eigen/QR>
#include <cstdio>

int main() {
  Eigen::MatrixXd A = Eigen::MatrixXd::Random(50, 3);
  Eigen::VectorXd b = Eigen::VectorXd::Random(50);
  convlab::problems::LeastSquares<double> f(A, b);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(3);
  const auto s = convlab::optim::minimize(f, convlab::optim::GradientDescent<double>{}, x,
                                          {.max_iterations = 20000, .gradient_tolerance = 1e-12},
                                          1.0 / f.lipschitz());
  const Eigen::VectorXd exact = A.colPivHouseholderQr().solve(b);
  const double err = (x - exact).norm();
  std::printf("%s\n|x - x_qr| = %.3e\n", s.brief_report().c_str(), err);
  return err < 1e-9 ? 0 : 1;
}
