// Training a small network in one's own loop with convlab's optimizers (docs/optim.md
// "Parameter groups"): a 64-32-10 tanh network on the digits data, minibatches of 32, the
// weights decayed and the biases not (two parameter groups). AdamW under warmup-cosine; Lion
// under linear decay, then Lion again under the schedule refined from that run's gradient
// norms (refined-schedules paper, docs/schedules.md); Lion-κ with the nuclear κ on the weight
// matrices and sign on the biases; AdamW on gradients clipped by their global norm, with an
// exponential moving average of the weights; and an AdamW run saved to a file halfway and
// resumed, which ends at the same bits as the run that never stopped. Built and run by CTest (label docs);
// its output is train_mlp.out. The network's forward and backward passes are the example's
// own (a real model would come from LibTorch).
#include <convlab/optim/adamw.hpp>
#include <convlab/optim/any_kappa.hpp>
#include <convlab/optim/chain.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/optim/state_io.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/schedules/linear.hpp>
#include <convlab/schedules/refined.hpp>
#include <convlab/schedules/warmup.hpp>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <numeric>

namespace optim = convlab::optim;
namespace schedules = convlab::schedules;
using Mat = Eigen::MatrixXf;
using Vec = Eigen::VectorXf;

struct Mlp {
  Mat W1, W2;  // 32 × 64, 10 × 32
  Vec b1, b2;
  explicit Mlp(unsigned seed) : W1(32, 64), W2(10, 32), b1(Vec::Zero(32)), b2(Vec::Zero(10)) {
    boost::random::mt19937 rng(seed);
    boost::random::normal_distribution<float> n01;
    for (Mat* W : {&W1, &W2})
      for (Eigen::Index i = 0; i < W->size(); ++i) W->data()[i] = n01(rng) / std::sqrt(float(W->cols()));
  }
  bool operator==(const Mlp& o) const { return W1 == o.W1 && W2 == o.W2 && b1 == o.b1 && b2 == o.b2; }
};

struct Data {
  Mat X;                   // 64 × n, one sample per column, pixels scaled to [0, 1]
  std::vector<int> label;  // 0..9
};

// Softmax cross-entropy of the samples `cols`; with `grad`, its gradient (mean over the batch).
float loss(const Mlp& m, const Data& d, const std::vector<int>& cols, Mlp* grad) {
  const auto b = static_cast<Eigen::Index>(cols.size());
  Mat X(64, b);
  for (Eigen::Index j = 0; j < b; ++j) X.col(j) = d.X.col(cols[static_cast<std::size_t>(j)]);
  const Mat H = ((m.W1 * X).colwise() + m.b1).array().tanh().matrix();
  Mat Z = (m.W2 * H).colwise() + m.b2;
  float total = 0;
  for (Eigen::Index j = 0; j < b; ++j) {
    const float top = Z.col(j).maxCoeff();
    Z.col(j) = (Z.col(j).array() - top).exp().matrix();
    const float sum = Z.col(j).sum();
    Z.col(j) /= sum;  // softmax probabilities
    const int y = d.label[static_cast<std::size_t>(cols[static_cast<std::size_t>(j)])];
    total -= std::log(Z(y, j));
    Z(y, j) -= 1;  // ∂loss/∂Z
  }
  if (grad) {
    Z /= float(b);
    grad->W2 = Z * H.transpose();
    grad->b2 = Z.rowwise().sum();
    const Mat dA = ((m.W2.transpose() * Z).array() * (1 - H.array().square())).matrix();
    grad->W1 = dA * X.transpose();
    grad->b1 = dA.rowwise().sum();
  }
  return total / float(b);
}

float accuracy(const Mlp& m, const Data& d) {
  const Mat Z = (m.W2 * ((m.W1 * d.X).colwise() + m.b1).array().tanh().matrix()).colwise() + m.b2;
  int right = 0;
  for (Eigen::Index j = 0; j < Z.cols(); ++j) {
    Eigen::Index k = 0;
    Z.col(j).maxCoeff(&k);
    right += k == d.label[static_cast<std::size_t>(j)];
  }
  return float(right) / float(Z.cols());
}

// The weights' group takes the optimizer's options; the biases' group its own (no decay).
template <class O>
optim::ParamGroups<O> groups(Mlp& m, const O& biases) {
  return {{.params = {m.W1, m.W2}}, {.params = {m.b1, m.b2}, .optimizer = biases}};
}

constexpr int kEpochs = 12, kBatch = 32;

// Runs steps [from, to) of the epochs' shuffled minibatches over the groups `gs` of `m`;
// `norms` collects ‖g‖ per step. `opt` is an optimizer or a chain of transforms and one.
template <class O, class State, class Groups, class Schedule>
void train(const O& opt, Mlp& m, const Groups& gs, State& state, const Schedule& lr, const Data& train, std::int64_t from,
           std::int64_t to, std::vector<double>* norms = nullptr) {
  Mlp g = m;
  std::vector<int> order(static_cast<std::size_t>(train.X.cols())), batch;
  std::int64_t step = 0;
  for (int epoch = 0; epoch < kEpochs; ++epoch) {
    std::iota(order.begin(), order.end(), 0);
    boost::random::mt19937 rng(1000u + static_cast<unsigned>(epoch));  // the same batches in every run
    for (std::size_t i = order.size() - 1; i > 0; --i)
      std::swap(order[i], order[boost::random::uniform_int_distribution<std::size_t>(0, i)(rng)]);
    for (std::size_t start = 0; start + kBatch <= order.size(); start += kBatch, ++step) {
      if (step < from || step >= to) continue;
      batch.assign(order.begin() + static_cast<std::ptrdiff_t>(start), order.begin() + static_cast<std::ptrdiff_t>(start + kBatch));
      loss(m, train, batch, &g);
      if (norms)
        norms->push_back(std::sqrt(double(g.W1.squaredNorm() + g.W2.squaredNorm() + g.b1.squaredNorm() + g.b2.squaredNorm())));
      opt.step(gs, {g.W1, g.W2, g.b1, g.b2}, state, static_cast<float>(lr(step)));
    }
  }
}

std::int64_t total_steps(const Data& d) { return kEpochs * (d.X.cols() / kBatch); }

void report(const char* name, const Mlp& m, const Data& tr, const Data& te) {
  std::vector<int> all(static_cast<std::size_t>(tr.X.cols()));
  std::iota(all.begin(), all.end(), 0);
  std::printf("%-47s train loss %.3f  test accuracy %.3f\n", name, loss(m, tr, all, nullptr), accuracy(m, te));
}

template <class O, class Schedule>
Mlp run(const char* name, const O& opt, const O& biases, const Schedule& lr, const Data& tr, const Data& te,
        std::vector<double>* norms = nullptr) {
  Mlp m(7);
  const auto gs = groups(m, biases);
  auto state = opt.init(gs);
  train(opt, m, gs, state, lr, tr, 0, total_steps(tr), norms);
  report(name, m, tr, te);
  return m;
}

int main() {
  const auto digits = convlab::problems::load_libsvm(CONVLAB_DATA_DIR "/digits.libsvm", {.num_features = 64});
  Data tr, te;  // the first 1437 rows train, the last 360 test
  for (Data* d : {&tr, &te}) {
    const Eigen::Index first = d == &tr ? 0 : 1437, n = d == &tr ? 1437 : digits.X.rows() - 1437;
    d->X = Mat(digits.X.middleRows(first, n).transpose().toDense().cast<float>()) / 16.0f;
    for (Eigen::Index i = 0; i < n; ++i) d->label.push_back(static_cast<int>(digits.y[first + i]));
  }
  const std::int64_t T = total_steps(tr);

  const optim::AdamW<float> adamw({.weight_decay = 0.05}), adamw_biases({.weight_decay = 0});
  const auto cosine = schedules::warmup_cosine(0.0, 3e-3, 50, T);
  const Mlp adamw_model = run("AdamW, warmup-cosine", adamw, adamw_biases, cosine, tr, te);

  const optim::Lion<float> lion({.weight_decay = 0.1}), lion_biases({.weight_decay = 0});
  std::vector<double> norms;
  run("Lion, linear decay", lion, lion_biases, schedules::linear_decay(1e-3, T), tr, te, &norms);
  const auto refined = schedules::refined(schedules::refine(norms), 1e-3, T);
  run("Lion, schedule refined from the run above", lion, lion_biases, refined, tr, te);

  using LionKappa = optim::LionK<float, optim::AnyKappa>;
  const LionKappa nuclear({.weight_decay = 0.1}, optim::NuclearK{}), sign_biases({.weight_decay = 0});
  run("Lion-kappa: nuclear on weights, sign on biases", nuclear, sign_biases, schedules::linear_decay(2e-2, T), tr, te);

  // Gradients clipped to global norm 1, then AdamW; an exponential moving average of the
  // weights is kept beside them (the chain's ParamAverage) and evaluated on its own.
  const auto clipped = optim::chain(optim::ClipByGlobalNorm{1.0}, optim::ParamAverage{.decay = 0.99}, adamw);
  {
    Mlp m(7);
    const auto gs = groups(m, adamw_biases);
    auto state = clipped.init(gs);
    train(clipped, m, gs, state, cosine, tr, 0, T);
    report("AdamW, gradients clipped at global norm 1", m, tr, te);
    const auto& average = std::get<1>(state.transforms).average;  // in the groups' tensor order
    m.W1 = Eigen::Map<const Mat>(average[0].data(), 32, 64);
    m.W2 = Eigen::Map<const Mat>(average[1].data(), 10, 32);
    m.b1 = average[2];
    m.b2 = average[3];
    report("  ... its exponential moving average (0.99)", m, tr, te);
  }

  // Halfway, the optimizer state goes to a file (the parameters are the loop's own to keep);
  // a fresh state loaded from it continues the run.
  const auto file = std::filesystem::temp_directory_path() / "convlab-train-mlp-adamw.state";
  Mlp resumed(7);
  const auto gs = groups(resumed, adamw_biases);
  {
    auto state = adamw.init(gs);
    train(adamw, resumed, gs, state, cosine, tr, 0, T / 2);
    optim::save_state(file, adamw, gs, state);
  }
  auto state = adamw.init(gs);
  optim::load_state(file, adamw, gs, state);
  train(adamw, resumed, gs, state, cosine, tr, T / 2, T);
  std::filesystem::remove(file);
  std::printf("AdamW saved at step %lld of %lld and resumed: %s\n", static_cast<long long>(T / 2),
              static_cast<long long>(T), resumed == adamw_model ? "the same bits as the run that never stopped" : "DIFFERENT");
  return resumed == adamw_model ? 0 : 1;
}
