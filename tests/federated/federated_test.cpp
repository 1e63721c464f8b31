// FedAU and its baselines (spec fedau.md (g)): the interval estimator on hand-written sequences,
// participation processes against their stationary statistics (CLT tolerances), aggregator
// reductions and unbiasedness, memory, the non-iid partition, and the server on the spec's (f)
// problem: FedAvg biased toward the p-weighted optimum, FedAU/known-p/MIFA/FedVarp at x*, FedAU(K)
// at the K-weighted optimum; determinism over threads; checkpoint/resume equality.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <convlab/federated/aggregators.hpp>
#include <convlab/federated/heterogeneous_logistic.hpp>
#include <convlab/federated/partition.hpp>
#include <convlab/federated/participation.hpp>
#include <convlab/federated/server.hpp>
#include <convlab/federated/weight_estimator.hpp>
#include <convlab/federated/weighted_objective.hpp>
#include <convlab/optim/newton.hpp>
#include <convlab/optim/sgd.hpp>
#include <random>
#include <set>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace cf = convlab::federated;
using convlab::MatX;
using convlab::VecX;

namespace {
// ω after feeding a 0/1 sequence, and the weights used in each round.
std::vector<double> weights_along(const std::vector<int>& seq, long long K = cf::IntervalWeightEstimator::kNoCutoff) {
  cf::IntervalWeightEstimator e(1, K);
  std::vector<double> w;
  for (int v : seq) {
    w.push_back(e.weight(0));
    e.update({static_cast<char>(v)});
  }
  w.push_back(e.weight(0));
  return w;
}

// Mean recorded interval of client 0 after T rounds of a process.
double mean_interval(cf::Participation& part, long long T, long long K = cf::IntervalWeightEstimator::kNoCutoff, double* active_fraction = nullptr) {
  cf::IntervalWeightEstimator e(part.clients(), K);
  std::vector<char> q;
  long long active = 0;
  for (long long t = 0; t < T; ++t) {
    part.next(q);
    active += q[0];
    e.update(q);
  }
  if (active_fraction) *active_fraction = static_cast<double>(active) / static_cast<double>(T);
  return e.weight(0);
}
}  // namespace

TEST(IntervalWeightEstimator, HandWrittenSequences) {
  // Always participating: ω = 1 in every round.
  for (double w : weights_along(std::vector<int>(10, 1))) EXPECT_EQ(w, 1.0);
  // Every P-th round from round P−1: every interval is P, so ω = P after the first participation.
  const int P = 4;
  std::vector<int> seq(20, 0);
  for (int t = P - 1; t < 20; t += P) seq[static_cast<std::size_t>(t)] = 1;
  auto w = weights_along(seq);
  for (int t = 0; t <= P - 1; ++t) EXPECT_EQ(w[static_cast<std::size_t>(t)], 1.0) << t;  // weight 1 up to and at the first participation
  for (std::size_t t = P; t < w.size(); ++t) EXPECT_EQ(w[t], static_cast<double>(P)) << t;
  // First participation at round t1: the first recorded interval is t1 + 1.
  w = weights_along({0, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(w.back(), 7.0);
  // Intervals 3 then 1: mean 2.
  w = weights_along({0, 0, 1, 1});
  EXPECT_EQ(w.back(), 2.0);
  // Never participating, finite K: ω = K after K rounds; K = ∞: no interval, weight 1.
  w = weights_along(std::vector<int>(7, 0), 5);
  EXPECT_EQ(w[5], 5.0);
  EXPECT_EQ(w[4], 1.0);
  w = weights_along(std::vector<int>(50, 0));
  EXPECT_EQ(w.back(), 1.0);
  // A gap longer than K is cut into K-pieces plus a remainder: 0×12 then 1 with K = 5 records 5, 5, 3.
  std::vector<int> gap(12, 0);
  gap.push_back(1);
  EXPECT_DOUBLE_EQ(weights_along(gap, 5).back(), 13.0 / 3.0);
}

TEST(IntervalWeightEstimator, CausalBoundedAndKOneIsUniform) {
  std::mt19937_64 rng(1);
  std::bernoulli_distribution B(0.3);
  std::vector<int> seq(300);
  for (auto& v : seq) v = B(rng);
  const auto w = weights_along(seq, 7);
  for (double v : w) {
    EXPECT_GE(v, 1.0);
    EXPECT_LE(v, 7.0);
  }
  // Flipping round t's indicator does not change round t's weight (only later ones).
  for (std::size_t t : {5u, 50u, 200u}) {
    auto flipped = seq;
    flipped[t] = 1 - flipped[t];
    const auto w2 = weights_along(flipped, 7);
    for (std::size_t s = 0; s <= t; ++s) EXPECT_EQ(w2[s], w[s]);
  }
  for (double v : weights_along(seq, 1)) EXPECT_EQ(v, 1.0);
}

TEST(Participation, BernoulliIntervalsMeetOneOverPAndTheCutoffFormula) {
  const long long T = 200000;
  for (double p : {0.02, 0.1, 0.5}) {
    cf::Participation part({p}, {.kind = cf::ParticipationKind::Bernoulli, .seed = 11});
    double frac = 0;
    const double mean = mean_interval(part, T, cf::IntervalWeightEstimator::kNoCutoff, &frac);
    // Intervals ~ Geometric(p): variance (1−p)/p², about T·p of them; 4.5 standard errors.
    const double se = std::sqrt((1 - p) / (p * p) / (static_cast<double>(T) * p));
    EXPECT_NEAR(mean, 1 / p, 4.5 * se) << "p = " << p;
    EXPECT_NEAR(frac, p, 4.5 * std::sqrt(p * (1 - p) / static_cast<double>(T)));
    cf::Participation part_k({p}, {.kind = cf::ParticipationKind::Bernoulli, .seed = 12});
    const double with_cutoff = mean_interval(part_k, T, 50);
    EXPECT_NEAR(with_cutoff, (1 - std::pow(1 - p, 50)) / p, 4.5 * se + 0.05) << "p = " << p;
  }
}

TEST(Participation, MarkovIsStationaryAtPIncludingTheRescaledBranch) {
  const long long T = 400000;
  for (double p : {0.02, 0.1, 0.5}) {
    cf::Participation part({p}, {.kind = cf::ParticipationKind::Markov, .markov_a = 0.05, .seed = 21});
    const auto [a, b] = part.markov_rates(0);
    EXPECT_NEAR(a / (a + b), p, 1e-12);
    EXPECT_LE(b, 1.0);
    double frac = 0;
    const double mean = mean_interval(part, T, cf::IntervalWeightEstimator::kNoCutoff, &frac);
    // Correlated draws: the effective sample size shrinks by (1 + ρ)/(1 − ρ), ρ = 1 − a − b.
    const double rho = 1 - a - b, inflation = std::sqrt((1 + rho) / (1 - rho));
    EXPECT_NEAR(frac, p, 5 * inflation * std::sqrt(p * (1 - p) / static_cast<double>(T))) << "p = " << p;
    EXPECT_NEAR(mean * p, 1.0, 0.08) << "Kac: mean return time 1/p, p = " << p;
  }
}

TEST(Participation, CyclicHasTheExactActiveFractionAndWeightsTendToPOverA) {
  const long long P = 100;
  for (double p : {0.02, 0.1, 0.5}) {
    cf::Participation part({p, p, p, p}, {.kind = cf::ParticipationKind::Cyclic, .period = P, .seed = 31});
    const auto [A, B] = part.cycle(0);
    std::vector<char> q;
    std::vector<long long> on(4, 0);
    // Skip to a cycle boundary-independent count: over 2000 whole cycles plus the initial phase
    // (< B rounds), the active count is exactly 2000·A for every client.
    const long long T = 2000 * (A + B) + B;
    cf::IntervalWeightEstimator e(4);
    for (long long t = 0; t < T; ++t) {
      part.next(q);
      for (int n = 0; n < 4; ++n) on[static_cast<std::size_t>(n)] += q[static_cast<std::size_t>(n)];
      e.update(q);
    }
    for (int n = 0; n < 4; ++n) {
      EXPECT_NEAR(static_cast<double>(on[static_cast<std::size_t>(n)]), 2000.0 * static_cast<double>(A), static_cast<double>(A)) << n;
      EXPECT_NEAR(e.weight(static_cast<std::size_t>(n)), static_cast<double>(A + B) / static_cast<double>(A), 0.01 * static_cast<double>(A + B) / static_cast<double>(A));
    }
  }
}

TEST(Participation, RejectsBadProbabilitiesAndTraces) {
  EXPECT_THROW(cf::Participation({0.5, 1.5}, {}), convlab::InvalidArgument);
  EXPECT_THROW(cf::Participation({0.5, 0.0}, {}), convlab::InvalidArgument);
  EXPECT_THROW(cf::Participation({0.5, std::nan("")}, {}), convlab::InvalidArgument);
  MatX<double> trace(2, 2);
  trace << 1, 0, 0, 2;
  EXPECT_THROW(cf::Participation({0.5, 0.5}, {.kind = cf::ParticipationKind::Trace}, trace), convlab::InvalidArgument);
  trace(1, 1) = 1;
  cf::Participation part({0.5, 0.5}, {.kind = cf::ParticipationKind::Trace}, trace);
  std::vector<char> q;
  part.next(q);
  EXPECT_EQ(q, (std::vector<char>{1, 0}));
  part.next(q);
  EXPECT_EQ(q, (std::vector<char>{0, 1}));
  part.next(q);  // the trace repeats
  EXPECT_EQ(q, (std::vector<char>{1, 0}));
}

TEST(Aggregators, FullParticipationMakesEveryMethodTheMeanAndEmptyRoundsAreZero) {
  const std::size_t N = 6;
  const Eigen::Index d = 4;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> G;
  std::vector<cf::Aggregator> aggs;
  const std::vector<double> ones(N, 1.0);
  for (auto k : {cf::AggregatorKind::AverageParticipating, cf::AggregatorKind::AverageAll, cf::AggregatorKind::KnownProbability,
                 cf::AggregatorKind::FedAU, cf::AggregatorKind::Mifa, cf::AggregatorKind::FedVarp})
    aggs.emplace_back(k, N, d, ones);
  const std::vector<char> all(N, 1);
  std::vector<std::size_t> S(N);
  std::iota(S.begin(), S.end(), 0);
  for (int round = 0; round < 5; ++round) {
    MatX<double> D(d, static_cast<Eigen::Index>(N));
    for (Eigen::Index i = 0; i < D.size(); ++i) D.data()[i] = G(rng);
    const VecX<double> mean = D.rowwise().mean();
    for (auto& a : aggs) {
      VecX<double> A;
      a.aggregate(all, S, D, A);
      EXPECT_LE((A - mean).cwiseAbs().maxCoeff(), 1e-14) << cf::aggregator_name(a.kind()) << " round " << round;
    }
  }
  // An empty round: zero for all but MIFA, which returns the mean of its memory.
  const std::vector<char> none(N, 0);
  for (auto& a : aggs) {
    VecX<double> A;
    a.aggregate(none, {}, MatX<double>(d, 0), A);
    ASSERT_TRUE(A.allFinite());
    if (a.kind() == cf::AggregatorKind::Mifa) EXPECT_GT(A.norm(), 0.0);
    else EXPECT_EQ(A.norm(), 0.0) << cf::aggregator_name(a.kind());
  }
}

TEST(Aggregators, KnownProbabilityIsUnbiasedAndAverageAllIsPWeighted) {
  const std::size_t N = 5;
  const Eigen::Index d = 3;
  const std::vector<double> p{0.9, 0.5, 0.3, 0.2, 0.1};
  std::mt19937_64 rng(5);
  std::normal_distribution<double> G;
  MatX<double> D(d, static_cast<Eigen::Index>(N));
  for (Eigen::Index i = 0; i < D.size(); ++i) D.data()[i] = G(rng);
  cf::Aggregator known(cf::AggregatorKind::KnownProbability, N, d, p), all(cf::AggregatorKind::AverageAll, N, d);
  cf::Participation part(p, {.seed = 9});
  const int draws = 100000;
  VecX<double> sum_known = VecX<double>::Zero(d), sum_all = VecX<double>::Zero(d), A;
  std::vector<char> q;
  for (int k = 0; k < draws; ++k) {
    part.next(q);
    std::vector<std::size_t> S;
    MatX<double> DS(d, 0);
    for (std::size_t n = 0; n < N; ++n)
      if (q[n]) S.push_back(n);
    DS.resize(d, static_cast<Eigen::Index>(S.size()));
    for (std::size_t j = 0; j < S.size(); ++j) DS.col(static_cast<Eigen::Index>(j)) = D.col(static_cast<Eigen::Index>(S[j]));
    known.aggregate(q, S, DS, A);
    sum_known += A;
    all.aggregate(q, S, DS, A);
    sum_all += A;
  }
  VecX<double> target_known = D.rowwise().mean(), target_all = VecX<double>::Zero(d);
  for (std::size_t n = 0; n < N; ++n) target_all += p[n] * D.col(static_cast<Eigen::Index>(n)) / static_cast<double>(N);
  // Standard error per entry ≤ sqrt(Σ (1−p)/p Δ²)/N/sqrt(draws) ≈ 0.006 here; 0.03 is 5 of them.
  EXPECT_LE((sum_known / draws - target_known).cwiseAbs().maxCoeff(), 0.03);
  EXPECT_LE((sum_all / draws - target_all).cwiseAbs().maxCoeff(), 0.01);
}

TEST(Aggregators, StateSizesAreOfOrderNForFedAUAndNdForMifaAndFedVarp) {
  const std::size_t N = 1000;
  const Eigen::Index d = 500;
  EXPECT_EQ(cf::Aggregator(cf::AggregatorKind::FedAU, N, d).state_bytes(), 3 * N * sizeof(long long));
  EXPECT_EQ(cf::Aggregator(cf::AggregatorKind::Mifa, N, d).state_bytes(), N * static_cast<std::size_t>(d) * sizeof(double));
  EXPECT_EQ(cf::Aggregator(cf::AggregatorKind::FedVarp, N, d).state_bytes(), (N + 1) * static_cast<std::size_t>(d) * sizeof(double));
  EXPECT_EQ(cf::Aggregator(cf::AggregatorKind::AverageAll, N, d).state_bytes(), 0u);
}

TEST(Partition, DisjointCoveringReproducibleAndProbabilitiesInRange) {
  const Eigen::Index n = 1000;
  VecX<double> labels(n);
  for (Eigen::Index i = 0; i < n; ++i) labels[i] = static_cast<double>(i % 10);
  const cf::PartitionOptions o{.seed = 4};
  const auto a = cf::partition_by_label(labels, 100, o), b = cf::partition_by_label(labels, 100, o);
  std::vector<int> seen(static_cast<std::size_t>(n), 0);
  for (const auto& rows : a.rows) {
    EXPECT_FALSE(rows.empty());
    for (auto i : rows) ++seen[static_cast<std::size_t>(i)];
  }
  for (int s : seen) EXPECT_EQ(s, 1);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.probabilities, b.probabilities);
  for (double p : a.probabilities) {
    EXPECT_GE(p, o.p_min);
    EXPECT_LE(p, 1.0);
  }
  // Non-iid: most clients hold few labels.
  int concentrated = 0;
  for (const auto& rows : a.rows) {
    std::vector<int> h(10, 0);
    for (auto i : rows) ++h[static_cast<std::size_t>(labels[i])];
    if (*std::max_element(h.begin(), h.end()) >= 0.6 * static_cast<double>(rows.size())) ++concentrated;
  }
  EXPECT_GT(concentrated, 50);
}

namespace {
// Every row in exactly one client, every client non-empty, each client's rows ascending.
void expect_disjoint_covering(const cf::ClientRows& part, Eigen::Index n) {
  std::vector<int> seen(static_cast<std::size_t>(n), 0);
  for (const auto& rows : part) {
    RC_ASSERT(!rows.empty());
    RC_ASSERT(std::is_sorted(rows.begin(), rows.end()));
    for (auto i : rows) ++seen[static_cast<std::size_t>(i)];
  }
  for (int s : seen) RC_ASSERT(s == 1);
}

VecX<double> random_labels(Eigen::Index n, int L) {
  VecX<double> y(n);
  for (Eigen::Index i = 0; i < n; ++i) y[i] = *rc::gen::inRange(0, L);
  return y;
}
}  // namespace

RC_GTEST_PROP(Partition, IidSizesDifferByAtMostOneAndRepeatForASeed, ()) {
  const auto n = static_cast<Eigen::Index>(*rc::gen::inRange(1, 400));
  const auto clients = static_cast<std::size_t>(*rc::gen::inRange<long>(1, n + 1));
  const auto seed = *rc::gen::arbitrary<std::uint32_t>();
  const auto a = cf::partition_iid(n, clients, seed);
  RC_ASSERT(a.size() == clients);
  expect_disjoint_covering(a, n);
  std::size_t lo = a[0].size(), hi = lo;
  for (const auto& r : a) lo = std::min(lo, r.size()), hi = std::max(hi, r.size());
  RC_ASSERT(hi - lo <= 1);
  RC_ASSERT(a == cf::partition_iid(n, clients, seed));
}

RC_GTEST_PROP(Partition, ShardsGiveEachClientKShardsOfNearEqualSize, ()) {
  const int L = *rc::gen::inRange(1, 12);
  const auto clients = static_cast<std::size_t>(*rc::gen::inRange(1, 30));
  const auto k = static_cast<std::size_t>(*rc::gen::inRange(1, 4));
  const auto n = static_cast<Eigen::Index>(clients * k + static_cast<std::size_t>(*rc::gen::inRange(0, 300)));
  const VecX<double> y = random_labels(n, L);
  const auto seed = *rc::gen::arbitrary<std::uint32_t>();
  const auto a = cf::partition_shards(y, clients, k, seed);
  expect_disjoint_covering(a, n);
  // k shards of ⌊n/(clients·k)⌋ or one more rows each.
  const std::size_t base = static_cast<std::size_t>(n) / (clients * k);
  for (const auto& r : a) RC_ASSERT(r.size() >= k * base && r.size() <= k * (base + 1));
  RC_ASSERT(a == cf::partition_shards(y, clients, k, seed));
}

TEST(Partition, ShardsOfOneLabelEachGiveClientsAtMostKLabels) {
  // 10 labels × 20 rows, 10 clients × 2 shards of 10: every shard holds one label (McMahan et
  // al.'s setting), so every client holds at most 2 labels, 20 rows.
  VecX<double> y(200);
  for (Eigen::Index i = 0; i < 200; ++i) y[i] = static_cast<double>((i * 7) % 10);
  const auto a = cf::partition_shards(y, 10, 2, 3);
  int two_labels = 0;
  for (const auto& rows : a) {
    std::set<double> labels;
    for (auto i : rows) labels.insert(y[i]);
    EXPECT_EQ(rows.size(), 20u);
    EXPECT_LE(labels.size(), 2u);
    two_labels += labels.size() == 2;
  }
  EXPECT_GT(two_labels, 0);  // the deal is random, not label order
  EXPECT_THROW(cf::partition_shards(y, 101, 2, 3), convlab::InvalidArgument);
}

RC_GTEST_PROP(Partition, ColumnPutsEqualIdsTogetherInAscendingIdOrder, ()) {
  const auto n = static_cast<Eigen::Index>(*rc::gen::inRange(1, 200));
  VecX<double> ids(n);
  for (Eigen::Index i = 0; i < n; ++i) ids[i] = 0.5 * *rc::gen::inRange(-5, 6);
  std::vector<double> values;
  const auto a = cf::partition_by_column(ids, &values);
  expect_disjoint_covering(a, n);
  RC_ASSERT(a.size() == values.size());
  RC_ASSERT(std::is_sorted(values.begin(), values.end()));
  for (std::size_t c = 0; c < a.size(); ++c)
    for (auto i : a[c]) RC_ASSERT(ids[i] == values[c]);
}

TEST(Partition, LabelProbabilitiesFollowTheFormulaOnAnySplit) {
  // pₙ = clamp(mean_p·L·Σ hₙ[l]·m[l]) over any split: closed form when m is uniform, clamped and
  // reproducible otherwise.
  const Eigen::Index n = 500;
  VecX<double> y(n);
  for (Eigen::Index i = 0; i < n; ++i) y[i] = static_cast<double>(i % 5);
  const auto rows = cf::partition_iid(n, 25, 9);
  const cf::PartitionOptions o{.alpha_participation = 1e6, .mean_p = 0.3, .p_min = 0.02, .seed = 2};
  // α_p → ∞ makes m uniform (1/L): every client's rate is mean_p·L·(1/L) = mean_p.
  for (double p : cf::label_probabilities(y, rows, o)) EXPECT_NEAR(p, 0.3, 1e-2);
  const cf::PartitionOptions skew{.alpha_participation = 0.1, .seed = 2};
  const auto p = cf::label_probabilities(y, rows, skew);
  EXPECT_EQ(p, cf::label_probabilities(y, rows, skew));
  for (double v : p) {
    EXPECT_GE(v, skew.p_min);
    EXPECT_LE(v, 1.0);
  }
}

namespace {
struct SpecRun {
  VecX<double> tail;
  cf::ServerState state;
};

SpecRun run_spec(const cf::HeterogeneousLogistic& h, cf::AggregatorKind kind, long long rounds, long long K = cf::IntervalWeightEstimator::kNoCutoff,
                 std::uint64_t seed = 1) {
  const convlab::optim::Sgd<double> sgd;
  cf::Participation part(h.probabilities, {.seed = seed});
  cf::Aggregator agg(kind, h.clients.size(), 5, h.probabilities, K);
  cf::InProcessBackend backend(5);
  cf::ServerState s{.x = VecX<double>::Zero(5)};
  cf::run_server(h.clients, sgd, {.steps = 5, .batch = 0, .lr = 0.05}, part, agg, {.rounds = rounds, .eval_every = 50, .seed = seed}, backend, s);
  return {s.tail_average(), s};
}

VecX<double> weighted_optimum(const cf::HeterogeneousLogistic& h, const std::vector<double>& w) {
  const cf::WeightedObjective<convlab::problems::Logistic<double>> f(h.clients, w);
  VecX<double> x = VecX<double>::Zero(5);
  convlab::optim::newton(f, x, {.gradient_tolerance = 1e-13});
  return x;
}
}  // namespace

TEST(Server, SpecSettingSeparatesBiasedAndUnbiasedMethods) {
  const auto h = cf::make_heterogeneous_logistic({});
  const VecX<double> x_star = weighted_optimum(h, std::vector<double>(20, 1.0)), x_bias = weighted_optimum(h, h.probabilities);
  const double D = (x_star - x_bias).norm();
  ASSERT_GT(D, 0.3);
  const long long T = 1000;
  for (auto k : {cf::AggregatorKind::AverageParticipating, cf::AggregatorKind::AverageAll}) {
    const auto r = run_spec(h, k, T);
    EXPECT_LE((r.tail - x_bias).norm(), 0.15 * D) << cf::aggregator_name(k);
    EXPECT_GE((r.tail - x_star).norm(), 0.8 * D) << cf::aggregator_name(k);
  }
  for (auto k : {cf::AggregatorKind::FedAU, cf::AggregatorKind::KnownProbability, cf::AggregatorKind::Mifa, cf::AggregatorKind::FedVarp}) {
    const auto r = run_spec(h, k, T);
    EXPECT_LE((r.tail - x_star).norm(), 0.05 * D) << cf::aggregator_name(k);
  }
  // FedAU with cutoff K converges to argmin Σ (1 − (1 − pₙ)ᴷ) Fₙ.
  for (long long K : {2LL, 5LL}) {
    std::vector<double> w;
    for (double p : h.probabilities) w.push_back(1 - std::pow(1 - p, static_cast<double>(K)));
    const VecX<double> x_K = weighted_optimum(h, w);
    const auto r = run_spec(h, cf::AggregatorKind::FedAU, T, K);
    EXPECT_LE((r.tail - x_K).norm(), 0.05 * D) << "K = " << K;
    EXPECT_GE((x_K - x_star).norm(), 0.2 * D) << "K = " << K;  // the check can tell the two points apart
  }
}

TEST(Server, FedAUWithKOneIsAverageAllBitForBit) {
  const auto h = cf::make_heterogeneous_logistic({.seed = 2});
  const auto a = run_spec(h, cf::AggregatorKind::FedAU, 200, 1), b = run_spec(h, cf::AggregatorKind::AverageAll, 200);
  EXPECT_EQ(a.state.x, b.state.x);
}

TEST(Server, SameSeedSameBitsForAnyThreadCountAndMinibatches) {
  const auto h = cf::make_heterogeneous_logistic({.seed = 3});
  auto run = [&](int threads) {
#ifdef _OPENMP
    omp_set_num_threads(threads);
#else
    (void)threads;
#endif
    const convlab::optim::Sgd<double> sgd({.momentum = 0.5});
    cf::Participation part(h.probabilities, {.kind = cf::ParticipationKind::Markov, .seed = 8});
    cf::Aggregator agg(cf::AggregatorKind::FedVarp, h.clients.size(), 5);
    cf::InProcessBackend backend(5);
    cf::ServerState s{.x = VecX<double>::Zero(5)};
    cf::run_server(h.clients, sgd, {.steps = 5, .batch = 8, .lr = 0.05}, part, agg, {.rounds = 150, .seed = 8}, backend, s);
    return s;
  };
  const auto one = run(1), two = run(2);
#ifdef _OPENMP
  omp_set_num_threads(omp_get_num_procs());
#endif
  EXPECT_EQ(one.x, two.x);
  ASSERT_EQ(one.history.size(), two.history.size());
  for (std::size_t i = 0; i < one.history.size(); ++i) EXPECT_EQ(one.history[i].objective, two.history[i].objective);
}

TEST(Server, ResumingFromACheckpointGivesTheUninterruptedResult) {
  const auto h = cf::make_heterogeneous_logistic({.seed = 5});
  const convlab::optim::Sgd<double> sgd;
  const cf::LocalTraining lt{.steps = 3, .batch = 10, .lr = 0.05};
  auto fresh = [&](cf::Participation& part, cf::Aggregator& agg) {
    part = cf::Participation(h.probabilities, {.kind = cf::ParticipationKind::Cyclic, .period = 10, .seed = 6});
    agg = cf::Aggregator(cf::AggregatorKind::Mifa, h.clients.size(), 5);
  };
  cf::Participation part(h.probabilities, {});
  cf::Aggregator agg(cf::AggregatorKind::Mifa, 1, 1);
  cf::InProcessBackend backend(5);
  // Uninterrupted.
  fresh(part, agg);
  cf::ServerState full{.x = VecX<double>::Zero(5)};
  cf::run_server(h.clients, sgd, lt, part, agg, {.rounds = 120, .eval_every = 7, .seed = 6}, backend, full, {.record_weights = true});
  // Killed in round 75 (the last checkpoint is at 60), then resumed in fresh objects.
  fresh(part, agg);
  std::vector<char> saved;
  cf::ServerState first{.x = VecX<double>::Zero(5)};
  EXPECT_THROW(cf::run_server(
                   h.clients, sgd, lt, part, agg, {.rounds = 120, .eval_every = 7, .checkpoint_every = 30, .seed = 6}, backend, first,
                   {.record_weights = true,
                    .on_round =
                        [](long long t, const VecX<double>&, const std::vector<char>&) {
                          if (t == 75) throw std::runtime_error("killed");
                        },
                    .on_checkpoint = [&](const std::vector<char>& b) { saved = b; }}),
               std::runtime_error);
  ASSERT_FALSE(saved.empty());
  fresh(part, agg);
  cf::ServerState resumed;
  cf::load_checkpoint(saved, resumed, part, agg);
  EXPECT_EQ(resumed.round, 60);
  cf::run_server(h.clients, sgd, lt, part, agg, {.rounds = 120, .eval_every = 7, .seed = 6}, backend, resumed, {.record_weights = true});
  EXPECT_EQ(resumed.x, full.x);
  EXPECT_EQ(resumed.tail_average(), full.tail_average());
  ASSERT_EQ(resumed.history.size(), full.history.size());
  for (std::size_t i = 0; i < full.history.size(); ++i) {
    EXPECT_EQ(resumed.history[i].objective, full.history[i].objective);
    EXPECT_EQ(resumed.history[i].weights, full.history[i].weights);
  }
  // Regression: a diverging run threw (exit 3, no summary). Now it stops at the round that
  // broke the model, keeps the model before it, and says so.
  fresh(part, agg);
  cf::ServerState diverging{.x = VecX<double>::Zero(5)};
  std::vector<VecX<double>> models;
  cf::run_server(h.clients, sgd, lt, part, agg, {.rounds = 120, .global_lr = 1e200, .eval_every = 7, .seed = 6}, backend, diverging,
                 {.on_round = [&](long long, const VecX<double>& x, const std::vector<char>&) { models.push_back(x); }});
  EXPECT_TRUE(diverging.diverged);
  EXPECT_LT(diverging.round, 120);
  EXPECT_TRUE(diverging.x.allFinite());
  ASSERT_FALSE(models.empty());
  EXPECT_EQ(diverging.x, models.back()) << "the last finite model, the one of the round before";
  EXPECT_NE(diverging.message.find("non-finite in round " + std::to_string(diverging.round)), std::string::npos) << diverging.message;
  // A damaged checkpoint is refused, wherever the damage is. Regression: 64 flipped bytes in
  // the middle (inside x or the aggregator's state) used to resume silently.
  auto refused = [&](const std::vector<char>& bytes, const std::string& why) {
    try {
      cf::load_checkpoint(bytes, resumed, part, agg);
    } catch (const convlab::InvalidArgument& e) {
      return std::string(e.what()).find(why) != std::string::npos;
    }
    return false;
  };
  std::mt19937_64 rng(20261203);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<char> flipped = saved;
    const std::size_t at = std::uniform_int_distribution<std::size_t>(8, saved.size() - 64)(rng);
    for (std::size_t i = at; i < at + 64; ++i) flipped[i] = static_cast<char>(~flipped[i]);
    EXPECT_TRUE(refused(flipped, "checksum mismatch")) << "64 bytes flipped at " << at;
    std::vector<char> one_bit = saved;
    one_bit[at] ^= 1;
    EXPECT_TRUE(refused(one_bit, "checksum mismatch")) << "one bit flipped at " << at;
  }
  std::vector<char> half(saved.begin(), saved.begin() + static_cast<std::ptrdiff_t>(saved.size() / 2));
  EXPECT_TRUE(refused(half, "checksum mismatch"));
  std::vector<char> v1 = saved;
  v1[7] = '1';  // "CNLBFED1": the first format, without a checksum
  EXPECT_TRUE(refused(v1, "format version 1"));
  EXPECT_TRUE(refused(std::vector<char>(3, 'x'), "not a convlab federated checkpoint"));
}

TEST(Names, EveryKindRoundTripsThroughItsNameAndUnknownNamesAreListed) {
  for (const auto k : {cf::AggregatorKind::AverageParticipating, cf::AggregatorKind::AverageAll, cf::AggregatorKind::KnownProbability,
                       cf::AggregatorKind::FedAU, cf::AggregatorKind::Mifa, cf::AggregatorKind::FedVarp})
    EXPECT_EQ(cf::aggregator_kind(cf::aggregator_name(k)), k);
  for (const auto k : {cf::ParticipationKind::Bernoulli, cf::ParticipationKind::Markov, cf::ParticipationKind::Cyclic, cf::ParticipationKind::Trace})
    EXPECT_EQ(cf::participation_kind(cf::participation_name(k)), k);
  try {
    (void)cf::aggregator_kind("fedavg");
    ADD_FAILURE() << "no error";
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "aggregator 'fedavg' is not one of average_participating | average_all | known_prob | fedau | mifa | fedvarp");
  }
  EXPECT_THROW((void)cf::participation_kind("always"), convlab::InvalidArgument);
}
