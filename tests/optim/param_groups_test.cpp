// Parameter groups (param_groups.hpp) and saved state (state_io.hpp), for every optimizer:
// groups step each tensor exactly as a separate one-tensor optimizer with the group's options
// would; per-group options reach only their group; no allocation in step; 1 and 2 threads give
// the same bits; a run resumed from a saved state ends at the same bits as one never stopped;
// damaged, truncated and mismatched state files are refused without touching the state.
#include <convlab/optim/adamw.hpp>
#include <convlab/optim/any_kappa.hpp>
#include <convlab/optim/gradient_descent.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/optim/state_io.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "test_support.hpp"

namespace co = convlab::optim;
namespace fs = std::filesystem;
using convlab::MatX;
using convlab::VecX;

namespace {

// Two option sets per optimizer: `a` for the weights' group, `b` for the biases' group.
template <class O> struct Options;
template <class S> struct Options<co::GradientDescent<S>> {
  static co::GradientDescent<S> a() { return {}; }
  static co::GradientDescent<S> b() { return {}; }
};
template <class S> struct Options<co::Sgd<S>> {
  static co::Sgd<S> a() { return co::Sgd<S>({.momentum = 0.9, .weight_decay = 0.1, .nesterov = true}); }
  static co::Sgd<S> b() { return co::Sgd<S>({.momentum = 0.5, .dampening = 0.1}); }
};
template <class S> struct Options<co::AdamW<S>> {
  static co::AdamW<S> a() { return co::AdamW<S>({.weight_decay = 0.1}); }
  static co::AdamW<S> b() { return co::AdamW<S>({.beta1 = 0.8, .weight_decay = 0, .amsgrad = true}); }
};
template <class S> struct Options<co::Lion<S>> {
  static co::Lion<S> a() { return co::Lion<S>({.weight_decay = 0.1}); }
  static co::Lion<S> b() { return co::Lion<S>({.beta1 = 0.5, .weight_decay = 0}); }
};
template <class S> struct Options<co::LionK<S, co::NuclearK>> {
  static co::LionK<S, co::NuclearK> a() { return co::LionK<S, co::NuclearK>({.weight_decay = 0.1}); }
  static co::LionK<S, co::NuclearK> b() { return co::LionK<S, co::NuclearK>({.beta2 = 0.9}); }
};
template <class S> struct Options<co::LionK<S, co::AnyKappa>> {
  static co::LionK<S, co::AnyKappa> a() { return co::LionK<S, co::AnyKappa>({.weight_decay = 0.1}, co::NuclearK{}); }
  static co::LionK<S, co::AnyKappa> b() { return co::LionK<S, co::AnyKappa>({}, co::HuberK{0.5}); }
};

// A one-tensor optimizer for a rows × cols tensor, built through the public constructors only
// (the nuclear κ gets the matrix's shape), as a user without groups would.
template <class O>
O alone(const O& o, Eigen::Index rows, Eigen::Index cols) {
  if constexpr (requires { typename O::KappaType; }) {
    using K = typename O::KappaType;
    if constexpr (std::is_same_v<K, co::NuclearK>) {
      return O(o.options(), co::NuclearK(rows, cols));
    } else if constexpr (std::is_same_v<K, co::AnyKappa>) {
      co::AnyKappa k = o.kappa();
      k.reshape(rows, cols);
      return O(o.options(), k);
    } else {
      return o;
    }
  } else {
    return o;
  }
}

// A small network's tensors: two weight matrices and two biases.
template <class S>
struct Model {
  MatX<S> W1, W2;
  VecX<S> b1, b2;
  explicit Model(std::mt19937_64& rng)
      : W1(convlab::test::random_matrix<S>(4, 3, rng)),
        W2(convlab::test::random_matrix<S>(2, 4, rng)),
        b1(convlab::test::random_matrix<S>(4, 1, rng)),
        b2(convlab::test::random_matrix<S>(2, 1, rng)) {}
  bool operator==(const Model& o) const { return W1 == o.W1 && W2 == o.W2 && b1 == o.b1 && b2 == o.b2; }
};

template <class O>
co::ParamGroups<O> groups_of(Model<typename O::Scalar>& m) {
  return {{.params = {m.W1, m.W2}}, {.params = {m.b1, m.b2}, .optimizer = Options<O>::b(), .lr_scale = 0.5}};
}

template <class O>
class ParamGroupsTest : public ::testing::Test {};
using AllOptimizers =
    ::testing::Types<co::GradientDescent<float>, co::GradientDescent<double>, co::Sgd<float>, co::Sgd<double>,
                     co::AdamW<float>, co::AdamW<double>, co::Lion<float>, co::Lion<double>,
                     co::LionK<float, co::NuclearK>, co::LionK<double, co::NuclearK>, co::LionK<float, co::AnyKappa>,
                     co::LionK<double, co::AnyKappa>>;
TYPED_TEST_SUITE(ParamGroupsTest, AllOptimizers);

template <class S>
Model<S> gradients(std::mt19937_64& rng) {
  return Model<S>(rng);
}

TYPED_TEST(ParamGroupsTest, GroupsStepEachTensorLikeASeparateOptimizerWithTheGroupsOptions) {
  using O = TypeParam;
  using S = typename O::Scalar;
  std::mt19937_64 rng(convlab::test::test_seed() + 31);
  Model<S> grouped(rng), separate = grouped;
  const O opt = Options<O>::a(), bias_opt = Options<O>::b();
  auto groups = groups_of<O>(grouped);
  auto state = opt.init(groups);

  // The reference: one optimizer and state per tensor, the biases' lr halved by hand.
  const O oW1 = alone(opt, 4, 3), oW2 = alone(opt, 2, 4), ob1 = alone(bias_opt, 4, 1), ob2 = alone(bias_opt, 2, 1);
  auto sW1 = oW1.init(separate.W1);
  auto sW2 = oW2.init(separate.W2);
  auto sb1 = ob1.init(separate.b1);
  auto sb2 = ob2.init(separate.b2);
  const S lr = S(0.01), half = static_cast<S>(0.5 * static_cast<double>(lr));
  for (int t = 0; t < 6; ++t) {
    const Model<S> g = gradients<S>(rng);
    Eigen::internal::set_is_malloc_allowed(false);
    opt.step(groups, {g.W1, g.W2, g.b1, g.b2}, state, lr);
    Eigen::internal::set_is_malloc_allowed(true);
    oW1.step(separate.W1, g.W1, sW1, lr);
    oW2.step(separate.W2, g.W2, sW2, lr);
    ob1.step(separate.b1, g.b1, sb1, half);
    ob2.step(separate.b2, g.b2, sb2, half);
  }
  EXPECT_TRUE(grouped == separate);
}

TYPED_TEST(ParamGroupsTest, GroupOptionsReachOnlyTheirGroup) {
  using O = TypeParam;
  using S = typename O::Scalar;
  std::mt19937_64 rng(convlab::test::test_seed() + 32);
  Model<S> with_groups(rng), flat = with_groups;
  const O opt = Options<O>::a();
  auto groups = groups_of<O>(with_groups);
  auto gs = opt.init(groups);
  auto fs_ = opt.init({flat.W1, flat.W2, flat.b1, flat.b2});  // one list, the optimizer's options for all
  for (int t = 0; t < 4; ++t) {
    const Model<S> g = gradients<S>(rng);
    opt.step(groups, {g.W1, g.W2, g.b1, g.b2}, gs, S(0.01));
    opt.step({flat.W1, flat.W2, flat.b1, flat.b2}, {g.W1, g.W2, g.b1, g.b2}, fs_, S(0.01));
  }
  EXPECT_TRUE(with_groups.W1 == flat.W1 && with_groups.W2 == flat.W2) << "the weights' group has the optimizer's options";
  EXPECT_FALSE(with_groups.b1 == flat.b1) << "the biases' group has its own options and lr";
}

TYPED_TEST(ParamGroupsTest, ThreadCountDoesNotChangeTheResult) {
  using O = TypeParam;
  using S = typename O::Scalar;
  // One tensor large enough to run in parallel (a column, so the nuclear κ stays cheap), one small.
  std::mt19937_64 rng(convlab::test::test_seed() + 33);
  const Eigen::Index n = 2 * convlab::kParallelThreshold + 17;
  const MatX<S> W0 = convlab::test::random_matrix<S>(n, 1, rng), G = convlab::test::random_matrix<S>(n, 1, rng);
  const VecX<S> b0 = convlab::test::random_matrix<S>(7, 1, rng), gb = convlab::test::random_matrix<S>(7, 1, rng);
  auto run = [&](int threads) {
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    (void)threads;
    MatX<S> W = W0;
    VecX<S> b = b0;
    const O opt = Options<O>::a();
    auto st = opt.init({W, b});
    for (int t = 0; t < 2; ++t) opt.step({W, b}, {G, gb}, st, S(0.01));
    return std::pair{W, b};
  };
  const auto one = run(1), two = run(2);
#ifdef _OPENMP
  omp_set_num_threads(2);
#endif
  EXPECT_TRUE(one.first == two.first && one.second == two.second);
}

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("convlab-optstate-" + name + "-" + std::to_string(::getpid()));
}

TYPED_TEST(ParamGroupsTest, ResumingFromASavedStateGivesTheSameBits) {
  using O = TypeParam;
  using S = typename O::Scalar;
  std::mt19937_64 rng(convlab::test::test_seed() + 34);
  const Model<S> start(rng);
  std::vector<Model<S>> grads;
  for (int t = 0; t < 8; ++t) grads.push_back(gradients<S>(rng));
  const O opt = Options<O>::a();
  auto run = [&](Model<S>& m, co::GroupState<O>& st, int from, int to) {
    auto groups = groups_of<O>(m);
    for (int t = from; t < to; ++t) {
      const auto& g = grads[static_cast<std::size_t>(t)];
      opt.step(groups, {g.W1, g.W2, g.b1, g.b2}, st, S(0.01) / S(t + 1));
    }
  };
  Model<S> straight = start;
  auto st = opt.init(groups_of<O>(straight));
  run(straight, st, 0, 8);

  const fs::path file = temp_file("resume");
  Model<S> resumed = start;
  {
    auto first = opt.init(groups_of<O>(resumed));
    run(resumed, first, 0, 3);
    co::save_state(file, opt, groups_of<O>(resumed), first);
  }  // the first process ends here; the parameters themselves are the user's to save
  auto second = opt.init(groups_of<O>(resumed));
  co::load_state(file, opt, groups_of<O>(resumed), second);
  run(resumed, second, 3, 8);
  fs::remove(file);
  EXPECT_TRUE(resumed == straight);
}

// ---- concrete cases ------------------------------------------------------------------------

TEST(ParamGroups, EveryKindOfMemoryIsATensor) {
  std::mt19937_64 rng(convlab::test::test_seed() + 35);
  const MatX<float> W0 = convlab::test::random_matrix<float>(3, 2, rng), G = convlab::test::random_matrix<float>(3, 2, rng);
  // The same 3 × 2 parameter held five ways; each must end where the Eigen matrix ends.
  MatX<float> eigen = W0;
  std::vector<float> vec(W0.data(), W0.data() + 6), raw(vec), spanned(vec), mapped(vec);
  const std::vector<float> gvec(G.data(), G.data() + 6);
  const co::AdamW<float> opt;
  auto st = opt.init({eigen, vec, {raw.data(), 3, 2}, std::span<float>(spanned), Eigen::Map<MatX<float>>(mapped.data(), 3, 2)});
  for (int t = 0; t < 3; ++t)
    opt.step({eigen, vec, {raw.data(), 3, 2}, std::span<float>(spanned), Eigen::Map<MatX<float>>(mapped.data(), 3, 2)},
             {G, gvec, {gvec.data(), 3, 2}, gvec, Eigen::Map<const MatX<float>>(gvec.data(), 3, 2)}, st, 0.1f);
  const std::vector<float> want(eigen.data(), eigen.data() + 6);
  EXPECT_EQ(vec, want);
  EXPECT_EQ(raw, want);
  EXPECT_EQ(spanned, want);
  EXPECT_EQ(mapped, want);
  EXPECT_NE(want, std::vector<float>(W0.data(), W0.data() + 6));
}

TEST(ParamGroups, TheNuclearKappaActsOnEachMatrixsShape) {
  // msign of a tensor as a 4 × 3 matrix differs from msign of the same values as 12 × 1 or 3 × 4.
  std::mt19937_64 rng(convlab::test::test_seed() + 36);
  const MatX<double> W0 = convlab::test::random_matrix<double>(4, 3, rng), G = convlab::test::random_matrix<double>(4, 3, rng);
  const co::LionK<double, co::NuclearK> opt;
  MatX<double> W = W0;
  auto st = opt.init({W});
  opt.step({W}, {G}, st, 0.1);
  // The first step with m = 0 is x − lr·msign((1 − β₁)g) = x − lr·UVᵀ of g.
  Eigen::JacobiSVD<MatX<double>> svd(G, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const MatX<double> expected = W0 - 0.1 * svd.matrixU() * svd.matrixV().transpose();
  EXPECT_LT((W - expected).norm(), 1e-6);
}

TEST(ParamGroups, MistakesAreNamed) {
  MatX<double> W = MatX<double>::Ones(3, 2), G = MatX<double>::Ones(2, 3);
  VecX<double> b = VecX<double>::Ones(3), gb = VecX<double>::Ones(3);
  const co::AdamW<double> opt;
  auto st = opt.init({W, b});
  auto message = [&](auto&& fn) {
    try {
      fn();
    } catch (const convlab::InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] { opt.step({W, b}, {gb}, st, 0.1); }),
            "optimizer step: 2 parameter tensors, 1 gradients, a state for 2 tensors (give one gradient per parameter, "
            "in the groups' order)");
  EXPECT_EQ(message([&] { opt.step({W, b}, {G, gb}, st, 0.1); }),
            "optimizer step: tensor 0 is 3 x 2, its gradient 2 x 3, its state 3 x 2");
  EXPECT_EQ(message([&] { opt.step({b, W}, {gb, W}, st, 0.1); }),
            "optimizer step: tensor 0 is 3 x 1, its gradient 3 x 1, its state 3 x 2");
  co::ParamGroups<co::AdamW<double>> bad{{.params = {W}, .lr_scale = 0}};
  EXPECT_EQ(message([&] { (void)opt.init(bad); }), "ParamGroup::lr_scale (group 0) = 0 violates finite and > 0");
  MatX<double> big = MatX<double>::Zero(5, 5);
  EXPECT_EQ(message([&] { (void)opt.init({big.block(0, 0, 2, 2)}); }),
            "optim::Tensor: a 2 x 2 Eigen block is not contiguous; pass a contiguous copy, or each column");
  EXPECT_TRUE(W == MatX<double>::Ones(3, 2)) << "nothing stepped";
}

TEST(SavedState, DamagedTruncatedAndMismatchedFilesAreRefusedAndTheStateIsKept) {
  std::mt19937_64 rng(convlab::test::test_seed() + 37);
  MatX<double> W = convlab::test::random_matrix<double>(3, 2, rng), G = convlab::test::random_matrix<double>(3, 2, rng);
  VecX<double> b = VecX<double>::Ones(2), gb = VecX<double>::Ones(2);
  const co::AdamW<double> opt({.weight_decay = 0.1});
  co::ParamGroups<co::AdamW<double>> groups{{.params = {W}}, {.params = {b}, .optimizer = co::AdamW<double>({.weight_decay = 0})}};
  auto st = opt.init(groups);
  opt.step(groups, {G, gb}, st, 0.1);
  const fs::path file = temp_file("damaged");
  co::save_state(file, opt, groups, st);
  std::ifstream in(file, std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  auto write = [&](const std::string& bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << bytes;
  };
  auto load_message = [&](const co::AdamW<double>& o, co::ParamGroups<co::AdamW<double>>& g) {
    auto fresh = o.init(g);
    const VecX<double> m_before = fresh.tensors[0].m;
    try {
      co::load_state(file, o, g, fresh);
    } catch (const convlab::InvalidArgument& e) {
      EXPECT_TRUE(fresh.tensors[0].m == m_before) << "a refused file changed the state";
      EXPECT_EQ(fresh.tensors[0].t, 0);
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  const std::string f = file.string();
  EXPECT_EQ(load_message(opt, groups), "loaded");

  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x10;
  write(flipped);
  EXPECT_EQ(load_message(opt, groups), f + ": checksum mismatch (the file is damaged or truncated)");
  write(good.substr(0, good.size() - 9));
  EXPECT_EQ(load_message(opt, groups), f + ": checksum mismatch (the file is damaged or truncated)");
  write(good.substr(0, 5));
  EXPECT_EQ(load_message(opt, groups), f + ": not a convlab optimizer state file (format 1)");
  write("not a state file at all");
  EXPECT_EQ(load_message(opt, groups), f + ": not a convlab optimizer state file (format 1)");

  write(good);
  const co::AdamW<double> other({.beta2 = 0.95, .weight_decay = 0.1});
  EXPECT_EQ(load_message(other, groups),
            f + ": saved for another optimizer or model: the file has 'optimizer AdamW<double>: beta1=0.90000000000000002 "
                "beta2=0.999 eps=1e-08 weight_decay=0.10000000000000001 amsgrad=0' where this run has 'optimizer "
                "AdamW<double>: beta1=0.90000000000000002 beta2=0.94999999999999996 eps=1e-08 "
                "weight_decay=0.10000000000000001 amsgrad=0'");
  MatX<double> W_t = W.transpose();
  co::ParamGroups<co::AdamW<double>> reshaped{{.params = {W_t}}, {.params = {b}, .optimizer = co::AdamW<double>({.weight_decay = 0})}};
  EXPECT_EQ(load_message(opt, reshaped),
            f + ": saved for another optimizer or model: the file has 'tensor 0: 3 x 2' where this run has 'tensor 0: 2 x 3'");
  co::ParamGroups<co::AdamW<double>> regrouped{{.params = {W, b}}};
  EXPECT_NE(load_message(opt, regrouped).find("the file has 'group 0: 1 tensors"), std::string::npos);
  co::Lion<double> lion;
  auto lion_state = lion.init({W, b});
  EXPECT_THROW(co::load_state(file, lion, lion_state), convlab::InvalidArgument);
  fs::remove(file);
  EXPECT_THROW(co::load_state(file, opt, groups, st), convlab::InvalidArgument) << "a missing file";
}

TEST(SavedState, TheFileIsWrittenAtomically) {
  // The temporary is renamed over the target: no temporary is left, and an existing file is
  // replaced whole.
  const fs::path file = temp_file("atomic");
  VecX<double> x = VecX<double>::Ones(4), g = VecX<double>::Ones(4);
  const co::Lion<double> opt;
  auto st = opt.init({x});
  co::save_state(file, opt, st);
  opt.step({x}, {g}, st, 0.1);
  co::save_state(file, opt, st);
  auto back = opt.init({x});
  co::load_state(file, opt, back);
  EXPECT_TRUE(back.tensors[0].m == st.tensors[0].m);
  int files = 0;
  for (const auto& e : fs::directory_iterator(file.parent_path()))
    files += e.path().filename().string().rfind(file.filename().string(), 0) == 0;
  EXPECT_EQ(files, 1);
  fs::remove(file);
}

}  // namespace
