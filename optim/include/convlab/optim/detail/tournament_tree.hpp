#pragma once
/// \file
/// A tournament (max-winner) tree over n scores: argmax in O(1), one score change in
/// O(log n). Ties go to the lower index, so greedy rules pick the first maximiser.

#include <Eigen/Core>
#include <limits>
#include <vector>

namespace convlab::optim::detail {

template <class S>
class TournamentTree {
 public:
  void assign(const Eigen::Ref<const Eigen::Matrix<S, Eigen::Dynamic, 1>>& scores) {
    n_ = scores.size();
    size_ = 1;
    while (size_ < n_) size_ *= 2;
    score_.assign(static_cast<std::size_t>(size_), -std::numeric_limits<S>::infinity());
    for (Eigen::Index i = 0; i < n_; ++i) score_[static_cast<std::size_t>(i)] = scores[i];
    win_.assign(static_cast<std::size_t>(2 * size_), 0);
    for (Eigen::Index i = 0; i < size_; ++i) win_[static_cast<std::size_t>(size_ + i)] = i;
    for (Eigen::Index v = size_ - 1; v >= 1; --v) win_[v] = better(win_[2 * v], win_[2 * v + 1]);
  }
  Eigen::Index size() const { return n_; }
  S score(Eigen::Index i) const { return score_[static_cast<std::size_t>(i)]; }
  void set(Eigen::Index i, S s) {
    score_[static_cast<std::size_t>(i)] = s;
    for (Eigen::Index v = (size_ + i) / 2; v >= 1; v /= 2) win_[v] = better(win_[2 * v], win_[2 * v + 1]);
  }
  /// Index of the largest score (lowest index among equals).
  Eigen::Index argmax() const { return size_ == 1 ? 0 : win_[1]; }

  /// The k largest scores' indices in decreasing order (ties: lower index first), O(k log n).
  void top(Eigen::Index k, std::vector<Eigen::Index>& out) {
    out.clear();
    saved_.clear();
    for (Eigen::Index t = 0; t < k && t < n_; ++t) {
      const Eigen::Index i = argmax();
      out.push_back(i);
      saved_.push_back(score(i));
      set(i, -std::numeric_limits<S>::infinity());
    }
    for (std::size_t t = 0; t < out.size(); ++t) set(out[t], saved_[t]);
  }

 private:
  Eigen::Index better(Eigen::Index a, Eigen::Index b) const {
    const S sa = score_[static_cast<std::size_t>(a)], sb = score_[static_cast<std::size_t>(b)];
    return (sb > sa || (sb == sa && b < a)) ? b : a;
  }
  Eigen::Index n_ = 0, size_ = 1;
  std::vector<S> score_;
  std::vector<Eigen::Index> win_;
  std::vector<S> saved_;
};

}  // namespace convlab::optim::detail
