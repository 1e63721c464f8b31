// Gradient transforms and chain (transforms.hpp, chain.hpp): closed forms for clipping,
// accumulation and averaging, no allocation in a chain's step, the caller's gradients left as
// they were, and a chain resumed from a saved state mid-accumulation ends at the same bits. A
// run-time TransformList steps, saves and resumes as the same chain spelled at compile time.
#include <convlab/optim/adamw.hpp>
#include <convlab/optim/chain.hpp>
#include <convlab/optim/gradient_descent.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/optim/state_io.hpp>
#include <convlab/optim/transform_list.hpp>

#include <filesystem>
#include <unistd.h>

#include "test_support.hpp"

namespace co = convlab::optim;
using convlab::MatX;
using convlab::VecX;

namespace {

TEST(Transforms, ClipByGlobalNormScalesAllTensorsTogether) {
  // Gradients (3) and (4) have global norm 5: clipped to norm 1 they are (0.6) and (0.8).
  VecX<double> a = VecX<double>::Zero(1), b = VecX<double>::Zero(1);
  const VecX<double> ga = VecX<double>::Constant(1, 3.0), gb = VecX<double>::Constant(1, 4.0);
  const auto opt = co::chain(co::ClipByGlobalNorm{1.0}, co::GradientDescent<double>{});
  auto st = opt.init({a, b});
  EXPECT_TRUE(opt.step({a, b}, {ga, gb}, st, 1.0));
  EXPECT_DOUBLE_EQ(a[0], -0.6);
  EXPECT_DOUBLE_EQ(b[0], -0.8);
  EXPECT_DOUBLE_EQ(std::get<0>(st.transforms).last_norm, 5.0);
  EXPECT_EQ(ga[0], 3.0) << "the caller's gradient is not changed";
  // Below the threshold the gradient passes unchanged.
  const auto loose = co::chain(co::ClipByGlobalNorm{10.0}, co::GradientDescent<double>{});
  auto st2 = loose.init({a, b});
  loose.step({a, b}, {ga, gb}, st2, 1.0);
  EXPECT_DOUBLE_EQ(a[0], -3.6);
  EXPECT_DOUBLE_EQ(b[0], -4.8);
}

TEST(Transforms, ClipByValueClampsEachValue) {
  VecX<float> x = VecX<float>::Zero(3);
  VecX<float> g(3);
  g << -3.0f, 0.5f, 2.0f;
  const auto opt = co::chain(co::ClipByValue{1.0}, co::GradientDescent<float>{});
  auto st = opt.init({x});
  opt.step({x}, {g}, st, 1.0f);
  EXPECT_EQ(x[0], 1.0f);
  EXPECT_EQ(x[1], -0.5f);
  EXPECT_EQ(x[2], -1.0f);
}

TEST(Transforms, AccumulateStepsOnTheMeanEveryKCalls) {
  std::mt19937_64 rng(convlab::test::test_seed() + 41);
  const MatX<double> x0 = convlab::test::random_matrix<double>(3, 2, rng);
  std::vector<MatX<double>> g;
  for (int t = 0; t < 6; ++t) g.push_back(convlab::test::random_matrix<double>(3, 2, rng));
  const co::AdamW<double> adamw({.weight_decay = 0.1});
  const auto opt = co::chain(co::Accumulate{3}, adamw);
  MatX<double> x = x0, ref = x0;
  auto st = opt.init({x});
  std::vector<bool> stepped;
  for (int t = 0; t < 6; ++t) stepped.push_back(opt.step({x}, {g[static_cast<std::size_t>(t)]}, st, 0.1));
  EXPECT_EQ(stepped, (std::vector<bool>{false, false, true, false, false, true}));
  auto rs = adamw.init(ref);
  for (int k = 0; k < 2; ++k) {
    const MatX<double> mean = (((MatX<double>::Zero(3, 2) + g[3 * k]) + g[3 * k + 1]) + g[3 * k + 2]) / 3.0;
    adamw.step(ref, mean, rs, 0.1);
  }
  EXPECT_TRUE(x == ref);
  EXPECT_THROW(co::chain(co::Accumulate{0}, adamw), convlab::InvalidArgument);
}

TEST(Transforms, ParamAverageIsTheEmaOrTheMeanOfTheIterates) {
  std::mt19937_64 rng(convlab::test::test_seed() + 42);
  const VecX<double> x0 = convlab::test::random_matrix<double>(4, 1, rng);
  std::vector<VecX<double>> g, iterates;
  for (int t = 0; t < 5; ++t) g.push_back(convlab::test::random_matrix<double>(4, 1, rng));
  const double beta = 0.7;
  const auto ema = co::chain(co::ParamAverage{.kind = co::ParamAverage::Kind::Ema, .decay = beta}, co::Lion<double>{});
  const auto polyak = co::chain(co::ParamAverage{.kind = co::ParamAverage::Kind::Polyak}, co::Lion<double>{});
  VecX<double> x = x0, y = x0;
  auto se = ema.init({x});
  auto sp = polyak.init({y});
  VecX<double> want_ema = x0, sum = VecX<double>::Zero(4);
  for (const auto& gt : g) {
    ema.step({x}, {gt}, se, 0.1);
    polyak.step({y}, {gt}, sp, 0.1);
    want_ema = beta * want_ema + (1 - beta) * x;
    sum += y;
  }
  EXPECT_TRUE(x == y) << "averaging does not change the iterates";
  EXPECT_LT((std::get<0>(se.transforms).average[0] - want_ema).norm(), 1e-14);
  EXPECT_LT((std::get<0>(sp.transforms).average[0] - sum / 5.0).norm(), 1e-14);
  EXPECT_EQ(std::get<0>(sp.transforms).count, 5);
}

TEST(Chain, GroupsStepWithoutAllocatingAndNameAShapeMistake) {
  std::mt19937_64 rng(convlab::test::test_seed() + 43);
  MatX<float> W = convlab::test::random_matrix<float>(5, 4, rng), G = convlab::test::random_matrix<float>(5, 4, rng);
  VecX<float> b = VecX<float>::Ones(5), gb = VecX<float>::Ones(5);
  const auto opt = co::chain(co::Accumulate{2}, co::ClipByGlobalNorm{0.5}, co::ParamAverage{},
                             co::AdamW<float>({.weight_decay = 0.1}));
  co::ParamGroups<co::AdamW<float>> groups{{.params = {W}}, {.params = {b}, .optimizer = co::AdamW<float>({.weight_decay = 0})}};
  auto st = opt.init(groups);
  const MatX<float> W0 = W;
  Eigen::internal::set_is_malloc_allowed(false);
  for (int t = 0; t < 4; ++t) opt.step(groups, {G, gb}, st, 0.01f);
  Eigen::internal::set_is_malloc_allowed(true);
  EXPECT_FALSE(W == W0);
  EXPECT_EQ(std::get<2>(st.transforms).count, 2) << "two optimizer steps averaged";
  MatX<float> Gt = G.transpose();
  try {
    opt.step(groups, {Gt, gb}, st, 0.01f);
    ADD_FAILURE() << "no error";
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "Chain::step: gradient 0 is 4 x 5, its parameter 5 x 4");
  }
}

TEST(Chain, ResumingMidAccumulationGivesTheSameBits) {
  std::mt19937_64 rng(convlab::test::test_seed() + 44);
  const MatX<double> W0 = convlab::test::random_matrix<double>(3, 3, rng);
  std::vector<MatX<double>> g;
  for (int t = 0; t < 10; ++t) g.push_back(convlab::test::random_matrix<double>(3, 3, rng));
  const auto opt = co::chain(co::Accumulate{3}, co::ClipByGlobalNorm{1.0}, co::ParamAverage{.decay = 0.9},
                             co::LionK<double, co::NuclearK>({.weight_decay = 0.1}));
  auto run = [&](MatX<double>& W, auto& st, int from, int to) {
    for (int t = from; t < to; ++t) opt.step({W}, {g[static_cast<std::size_t>(t)]}, st, 0.05);
  };
  MatX<double> straight = W0;
  auto st = opt.init({straight});
  run(straight, st, 0, 10);

  const auto file = std::filesystem::temp_directory_path() / ("convlab-chain-state-" + std::to_string(::getpid()));
  MatX<double> resumed = W0;
  {
    auto first = opt.init({resumed});
    run(resumed, first, 0, 4);  // one gradient waits in the accumulator
    co::save_state(file, opt, first);
  }
  auto second = opt.init({resumed});
  co::load_state(file, opt, second);
  run(resumed, second, 4, 10);
  EXPECT_TRUE(resumed == straight);
  EXPECT_TRUE(std::get<2>(second.transforms).average[0] == std::get<2>(st.transforms).average[0]);
  // Another chain (a different clip) refuses the file.
  const auto other = co::chain(co::Accumulate{3}, co::ClipByGlobalNorm{2.0}, co::ParamAverage{.decay = 0.9},
                               co::LionK<double, co::NuclearK>({.weight_decay = 0.1}));
  auto third = other.init({resumed});
  EXPECT_THROW(co::load_state(file, other, third), convlab::InvalidArgument);
  std::filesystem::remove(file);
}

TEST(TransformList, StepsAsTheSameChainSpelledAtCompileTimeAndResumesFromItsState) {
  std::mt19937_64 rng(convlab::test::test_seed() + 45);
  const MatX<float> W0 = convlab::test::random_matrix<float>(4, 3, rng);
  std::vector<MatX<float>> g;
  for (int t = 0; t < 9; ++t) g.push_back(convlab::test::random_matrix<float>(4, 3, rng));
  const co::AdamW<float> adamw({.weight_decay = 0.1});
  const auto fixed = co::chain(co::Accumulate{2}, co::ClipByGlobalNorm{0.5}, co::ClipByValue{0.1},
                               co::ParamAverage{.kind = co::ParamAverage::Kind::Polyak}, adamw);
  const auto listed = co::chain(co::TransformList{{co::Accumulate{2}, co::ClipByGlobalNorm{0.5}, co::ClipByValue{0.1},
                                                   co::ParamAverage{.kind = co::ParamAverage::Kind::Polyak}}},
                                adamw);
  MatX<float> a = W0, b = W0;
  auto sa = fixed.init({a});
  auto sb = listed.init({b});
  std::vector<bool> stepped_a, stepped_b;
  for (int t = 0; t < 5; ++t) {
    stepped_a.push_back(fixed.step({a}, {g[static_cast<std::size_t>(t)]}, sa, 0.01f));
    stepped_b.push_back(listed.step({b}, {g[static_cast<std::size_t>(t)]}, sb, 0.01f));
  }
  EXPECT_EQ(stepped_a, stepped_b);
  EXPECT_TRUE(a == b);
  const auto& average = std::get<co::ParamAverage::State<float>>(std::get<0>(sb.transforms).items[3]).average[0];
  EXPECT_TRUE(std::get<3>(sa.transforms).average[0] == average);

  // Saved mid-accumulation (5 calls: one gradient waits), loaded into a fresh state, resumed.
  const auto file = std::filesystem::temp_directory_path() / ("convlab-list-state-" + std::to_string(::getpid()));
  co::save_state(file, listed, sb);
  MatX<float> c = b;
  auto sc = listed.init({c});
  co::load_state(file, listed, sc);
  for (int t = 5; t < 9; ++t) {
    fixed.step({a}, {g[static_cast<std::size_t>(t)]}, sa, 0.01f);
    listed.step({c}, {g[static_cast<std::size_t>(t)]}, sc, 0.01f);
  }
  EXPECT_TRUE(a == c);
  // Another list (an EMA where the file has a Polyak average) refuses the file, naming the difference.
  const auto other = co::chain(co::TransformList{{co::Accumulate{2}, co::ClipByGlobalNorm{0.5}, co::ClipByValue{0.1},
                                                  co::ParamAverage{.kind = co::ParamAverage::Kind::Ema}}},
                               adamw);
  auto so = other.init({c});
  try {
    co::load_state(file, other, so);
    ADD_FAILURE() << "no error";
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("kind=polyak"), std::string::npos) << e.what();
  }
  std::filesystem::remove(file);
}

TEST(TransformList, RefusesAnInvalidItemAndAnEmptyListIsThePlainOptimizer) {
  EXPECT_THROW(co::chain(co::TransformList{{co::ClipByValue{-1}}}, co::Lion<double>{}), convlab::InvalidArgument);
  VecX<double> a = VecX<double>::Ones(3), b = a;
  const VecX<double> ga = VecX<double>::LinSpaced(3, -1, 2);
  const co::Lion<double> lion({.weight_decay = 0.5});
  const auto listed = co::chain(co::TransformList{}, lion);
  auto sa = lion.init({a});
  auto sb = listed.init({b});
  for (int t = 0; t < 3; ++t) {
    lion.step({a}, {ga}, sa, 0.1);
    listed.step({b}, {ga}, sb, 0.1);
  }
  EXPECT_TRUE(a == b);
}

}  // namespace
