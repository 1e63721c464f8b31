#include "fit/federations.hpp"

#include <algorithm>
#include <memory>
#include <numeric>

#include <fmt/core.h>

#include <convlab/core/random.hpp>
#include <convlab/federated/heterogeneous_logistic.hpp>
#include <convlab/federated/partition.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/problems/preprocessing.hpp>

#include "config/config.hpp"

namespace convlab::experiments {

namespace cf = convlab::federated;

Federation<problems::Logistic<double>> spec_federation(const FederationData& d) {
  auto h = cf::make_heterogeneous_logistic({.clients = static_cast<std::size_t>(d.clients), .mu = d.mu, .seed = static_cast<std::uint64_t>(d.data_seed)});
  return {std::move(h.clients), std::move(h.probabilities), {}, {}};
}

Federation<problems::Multinomial<double>> digits_federation(const FederationData& d) {
  const auto ds = problems::load_libsvm(d.data);
  MatX<double> X = MatX<double>(ds.X) / 16.0;  // pixels 0..16
  const VecX<double>& y = ds.y;
  convlab::Rng rng(static_cast<std::uint64_t>(d.data_seed));
  std::vector<Eigen::Index> perm(static_cast<std::size_t>(X.rows()));
  std::iota(perm.begin(), perm.end(), 0);
  convlab::shuffle(perm.begin(), perm.end(), rng);
  const auto n_test = static_cast<Eigen::Index>(std::llround(d.test_fraction * static_cast<double>(X.rows())));
  const Eigen::Index n_train = X.rows() - n_test;
  MatX<double> Xtr(n_train, X.cols()), Xte(n_test, X.cols());
  VecX<double> ytr(n_train), yte(n_test);
  for (Eigen::Index i = 0; i < n_train; ++i) Xtr.row(i) = X.row(perm[static_cast<std::size_t>(i)]), ytr[i] = y[perm[static_cast<std::size_t>(i)]];
  for (Eigen::Index i = 0; i < n_test; ++i)
    Xte.row(i) = X.row(perm[static_cast<std::size_t>(n_train + i)]), yte[i] = y[perm[static_cast<std::size_t>(n_train + i)]];
  const auto part = cf::partition_by_label(ytr, static_cast<std::size_t>(d.clients), {.seed = static_cast<std::uint64_t>(d.data_seed) + 17});
  Federation<problems::Multinomial<double>> f;
  for (const auto& rows : part.rows) {
    MatX<double> A(static_cast<Eigen::Index>(rows.size()), X.cols());
    VecX<double> b(static_cast<Eigen::Index>(rows.size()));
    for (std::size_t k = 0; k < rows.size(); ++k) A.row(static_cast<Eigen::Index>(k)) = Xtr.row(rows[k]), b[static_cast<Eigen::Index>(k)] = ytr[rows[k]];
    f.clients.emplace_back(std::move(A), b, 10, problems::LinearModelOptions{.l2 = d.mu, .intercept = true});
  }
  f.p = part.probabilities;
  f.test = std::make_shared<const problems::Multinomial<double>>(std::move(Xte), yte, 10, problems::LinearModelOptions{.intercept = true});
  return f;
}

namespace {
namespace cp = convlab::problems;

struct Table {
  MatX<double> X;
  VecX<double> y, ids;  // ids: the partition column, when asked for
  std::vector<std::string> feature_names;
};

// `features`: the training file's feature columns, so a test file is read in the same order.
Table load_table(const FederationData& d, const std::string& path, bool with_ids, const std::vector<std::string>& features, Eigen::Index columns) {
  Table t;
  if (d.format == "csv") {
    cp::CsvOptions o{.response = d.response, .features = features};
    if (with_ids && features.empty()) o.exclude = {d.partition_column};
    auto ds = cp::load_csv(path, o);
    t.X = std::move(ds.X);
    t.y = std::move(ds.y);
    t.feature_names = std::move(ds.feature_names);
    if (with_ids) t.ids = cp::load_csv(path, {.response = d.partition_column, .features = {d.response}}).y;
  } else {
    auto ds = cp::load_libsvm(path, {.zero_based = d.zero_based, .num_features = columns});
    t.X = MatX<double>(ds.X);
    t.y = std::move(ds.y);
  }
  return t;
}

Table take_rows(const Table& t, const std::vector<Eigen::Index>& rows) {
  Table out;
  out.X.resize(static_cast<Eigen::Index>(rows.size()), t.X.cols());
  out.y.resize(static_cast<Eigen::Index>(rows.size()));
  if (t.ids.size()) out.ids.resize(static_cast<Eigen::Index>(rows.size()));
  for (std::size_t k = 0; k < rows.size(); ++k) {
    const auto i = static_cast<Eigen::Index>(k);
    out.X.row(i) = t.X.row(rows[k]);
    out.y[i] = t.y[rows[k]];
    if (t.ids.size()) out.ids[i] = t.ids[rows[k]];
  }
  return out;
}

// Rates from a CSV with a header: column `rate`, one row per client in client order, or with a
// column `id` naming the client (the column partition's ids) in any order.
std::vector<double> load_rates(const std::string& path, const std::vector<double>& client_ids, std::size_t clients) {
  namespace dd = cp::detail;
  const std::string text = dd::read_file(path);
  std::ptrdiff_t rate_col = -1, id_col = -1;
  std::vector<double> rates, ids;
  std::vector<std::size_t> lines;
  dd::for_each_line(text, [&](std::size_t lineno, std::string_view line) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    const auto fields = dd::split_csv(line, ',', path, lineno);
    if (rate_col < 0) {  // the header
      for (std::size_t k = 0; k < fields.size(); ++k) {
        if (fields[k] == "rate") rate_col = static_cast<std::ptrdiff_t>(k);
        if (fields[k] == "id") id_col = static_cast<std::ptrdiff_t>(k);
      }
      if (rate_col < 0) throw DataError(path, lineno, "header", "no column named 'rate'");
      return;
    }
    const auto field = [&](std::ptrdiff_t k, const char* name) {
      if (static_cast<std::size_t>(k) >= fields.size()) throw DataError(path, lineno, name, "missing");
      return dd::parse_number(fields[static_cast<std::size_t>(k)], false, path, lineno, name);
    };
    const double r = field(rate_col, "rate");
    if (!(r > 0 && r <= 1)) throw DataError(path, lineno, "rate", fmt::format("{} is not in (0, 1]", r));
    rates.push_back(r);
    if (id_col >= 0) ids.push_back(field(id_col, "id"));
    lines.push_back(lineno);
  });
  if (rates.size() != clients) throw DataError(path, 0, "", fmt::format("{} rates for {} clients; give one row per client", rates.size(), clients));
  if (id_col < 0) return rates;
  if (client_ids.empty()) throw DataError(path, 1, "id", "an id column matches the clients of partition = \"column\" only; remove it");
  std::vector<double> p(clients, 0.0);
  for (std::size_t k = 0; k < rates.size(); ++k) {
    const auto it = std::lower_bound(client_ids.begin(), client_ids.end(), ids[k]);
    if (it == client_ids.end() || *it != ids[k]) throw DataError(path, lines[k], "id", fmt::format("{} is not a client id of the data", ids[k]));
    double& slot = p[static_cast<std::size_t>(it - client_ids.begin())];
    if (slot != 0) throw DataError(path, lines[k], "id", fmt::format("client {} has a rate already", ids[k]));
    slot = rates[k];
  }
  return p;
}

template <class P>
constexpr bool is_network = std::is_same_v<P, NetworkProblem>;

// Whether the targets are class labels: every problem but least squares, a network by its loss.
template <class P>
bool is_classification(const FederationData& d) {
  if constexpr (is_network<P>) return d.network.loss == "cross_entropy";
  else return !std::is_same_v<P, cp::LeastSquares<double>>;
}

// Class indices 0..L−1 of the labels: logistic's {−1, +1} or {0, 1} become {0, 1}.
template <class P>
VecX<double> class_indices(const VecX<double>& y) {
  if constexpr (std::is_same_v<P, cp::Logistic<double>>) return (y.array() > 0).cast<double>().matrix();
  return y;
}

// K: the classes of a multinomial model or a classifying network (else 1).
template <class P>
P make_problem(const FederationData& d, MatX<double> A, const VecX<double>& b, long long K, double l2) {
  const cp::LinearModelOptions o{.l2 = l2, .intercept = d.intercept};
  if constexpr (is_network<P>) return P(d.network, A, b, K);
  else if constexpr (std::is_same_v<P, cp::Multinomial<double>>) return P(std::move(A), b, K, o);
  else return P(std::move(A), b, o);
}
}  // namespace

template <class P>
Federation<P> data_federation(const FederationData& d) {
  const bool by_column = d.partition == "column";
  Table all = load_table(d, d.data, by_column, d.features, 0);
  Table train, test;
  if (d.test_data.empty()) {  // a seeded split: the last round(f·n) rows (at least one) of a random order are the test rows
    std::vector<Eigen::Index> perm(static_cast<std::size_t>(all.X.rows()));
    std::iota(perm.begin(), perm.end(), Eigen::Index{0});
    Rng rng(static_cast<std::uint64_t>(d.data_seed));
    convlab::shuffle(perm.begin(), perm.end(), rng);
    const auto n_test = std::max<Eigen::Index>(1, std::llround(d.test_fraction * static_cast<double>(all.X.rows())));
    if (n_test >= all.X.rows()) throw ConfigError(fmt::format("[federated] test_fraction: {} rows leave no training rows", all.X.rows()));
    const auto cut = perm.begin() + (all.X.rows() - n_test);
    std::vector<Eigen::Index> tr(perm.begin(), cut), te(cut, perm.end());
    std::sort(tr.begin(), tr.end());
    std::sort(te.begin(), te.end());
    train = take_rows(all, tr);
    test = take_rows(all, te);
  } else {
    train = std::move(all);
    test = load_table(d, d.test_data, false, train.feature_names, train.X.cols());
    if (test.X.cols() != train.X.cols())
      throw ConfigError(fmt::format("[federated] test_data '{}': {} feature columns, the training data has {}", d.test_data, test.X.cols(), train.X.cols()));
  }
  Federation<P> f;
  if (d.standardize) {  // the statistics of all clients' training rows, as a centralized fit uses
    f.model.standardization = cp::standardize(train.X);
    cp::apply_standardization(test.X, *f.model.standardization);
  }
  const VecX<double> classes = class_indices<P>(train.y);
  const bool classification = is_classification<P>(d);
  const bool needs_classes = d.partition == "dirichlet" || d.partition == "shards" || d.label_rates;
  if (needs_classes && !classification)
    throw ConfigError("[federated] " + std::string(d.label_rates ? "rates = \"label\"" : "partition = \"" + d.partition + "\"") +
                      " needs class labels: problem \"logistic\" or \"multinomial\", or a network with loss = \"cross_entropy\"");
  const auto N = static_cast<std::size_t>(d.clients);
  const auto seed = static_cast<std::uint64_t>(d.data_seed) + 17;
  const cf::PartitionOptions po{.alpha_data = d.alpha, .alpha_participation = d.alpha_participation, .mean_p = d.mean_p, .p_min = d.p_min, .seed = seed};
  cf::ClientRows rows;
  if (d.partition == "iid") rows = cf::partition_iid(train.X.rows(), N, seed);
  else if (d.partition == "shards") rows = cf::partition_shards(classes, N, static_cast<std::size_t>(d.shards_per_client), seed);
  else if (by_column) {
    rows = cf::partition_by_column(train.ids, &f.client_ids);
    if (rows.size() < 2)
      throw ConfigError(fmt::format("[federated] partition_column '{}': one client id in the training rows; a federation needs two or more", d.partition_column));
  } else {
    auto part = cf::partition_by_label(classes, N, po);
    rows = std::move(part.rows);
    if (d.label_rates) f.p = std::move(part.probabilities);  // the paper's split and rates, one draw
  }
  if (d.label_rates && f.p.empty()) f.p = cf::label_probabilities(classes, rows, {.alpha_participation = d.alpha_participation, .mean_p = d.mean_p, .p_min = d.p_min, .seed = seed + 12});
  else if (d.participation_rate > 0) f.p.assign(rows.size(), d.participation_rate);
  else if (!d.rates.empty()) {
    if (d.rates.size() != rows.size())
      throw ConfigError(fmt::format("[federated] rates: {} rates for {} clients; give one per client", d.rates.size(), rows.size()));
    f.p = d.rates;
  } else if (!d.rates_file.empty()) {
    f.p = load_rates(d.rates_file, f.client_ids, rows.size());
  }
  long long K = 1;
  if (std::is_same_v<P, cp::Multinomial<double>> || (is_network<P> && classification)) {
    const double top = std::max(train.y.size() ? train.y.maxCoeff() : 0.0, test.y.size() ? test.y.maxCoeff() : 0.0);
    K = d.num_classes > 0 ? d.num_classes : std::max(2LL, std::llround(top) + 1);
  }
  if (classification) {
    const Eigen::Index L = std::is_same_v<P, cp::Logistic<double>> ? 2 : K;
    f.label_histogram = MatX<double>::Zero(static_cast<Eigen::Index>(rows.size()), L);
    for (std::size_t c = 0; c < rows.size(); ++c)
      for (const auto i : rows[c])
        if (classes[i] >= 0 && classes[i] < static_cast<double>(L)) f.label_histogram(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(classes[i])) += 1;
  }
  f.model.problem = is_network<P> ? d.network.kind
                    : std::is_same_v<P, cp::LeastSquares<double>> ? "least_squares"
                    : std::is_same_v<P, cp::Logistic<double>>     ? "logistic"
                                                                  : "multinomial";
  if (is_network<P>) f.model.network = d.network;
  f.model.format = d.format, f.model.response = d.response, f.model.zero_based = d.zero_based;
  f.model.intercept = d.intercept, f.model.features = train.X.cols(), f.model.feature_names = train.feature_names;
  f.model.outputs = K;
  for (const auto& r : rows) {
    Table c = take_rows(train, r);
    f.clients.push_back(make_problem<P>(d, std::move(c.X), c.y, K, d.mu));
  }
  f.test = std::make_shared<const P>(make_problem<P>(d, std::move(test.X), test.y, K, 0.0));
  return f;
}

template Federation<cp::LeastSquares<double>> data_federation(const FederationData&);
template Federation<cp::Logistic<double>> data_federation(const FederationData&);
template Federation<cp::Multinomial<double>> data_federation(const FederationData&);
#ifdef CONVLAB_EXPERIMENTS_TORCH  // NetworkProblem's code is in network_model.cpp, built with LibTorch only
template Federation<NetworkProblem> data_federation(const FederationData&);
#endif

}  // namespace convlab::experiments
