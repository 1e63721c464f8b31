#pragma once
/// \file
/// A Fenwick tree of non-negative weights: draw an index with probability proportional to its
/// weight in O(log n), change one weight in O(log n). Used for Lipschitz sampling without
/// replacement (draw, zero the weight, repeat; restore afterwards).

#include <vector>

namespace convlab::optim::detail {

template <class S>
class SumTree {
 public:
  void assign(const std::vector<S>& w) {
    n_ = w.size();
    w_ = w;
    tree_.assign(n_ + 1, S(0));
    for (std::size_t i = 0; i < n_; ++i) add(i, w[i]);
    step_ = 1;
    while (step_ * 2 <= n_) step_ *= 2;
  }
  S total() const {
    S s = 0;
    for (std::size_t i = n_; i > 0; i -= i & (~i + 1)) s += tree_[i];
    return s;
  }
  S weight(std::size_t i) const { return w_[i]; }
  void set(std::size_t i, S w) {
    add(i, w - w_[i]);
    w_[i] = w;
  }
  /// The index i with prefix(i) <= u < prefix(i + 1) for u in [0, total()); skips zero weights.
  std::size_t find(S u) const {
    std::size_t pos = 0;
    for (std::size_t step = step_; step > 0; step /= 2)
      if (pos + step <= n_ && tree_[pos + step] <= u) {
        pos += step;
        u -= tree_[pos];
      }
    // Rounding can land on a zero-weight index or past the end: move to the nearest positive one.
    if (pos >= n_) pos = n_ - 1;
    while (pos > 0 && w_[pos] <= S(0)) --pos;
    while (pos + 1 < n_ && w_[pos] <= S(0)) ++pos;
    return pos;
  }

 private:
  void add(std::size_t i, S delta) {
    for (std::size_t k = i + 1; k <= n_; k += k & (~k + 1)) tree_[k] += delta;
  }
  std::size_t n_ = 0, step_ = 1;
  std::vector<S> w_, tree_;
};

}  // namespace convlab::optim::detail
