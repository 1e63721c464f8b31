// Loaders: the shipped data sets load with the documented shapes, and every malformed
// input gives a DataError naming file, line and field.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <convlab/problems/data_io.hpp>

#include "test_support.hpp"

namespace cp = convlab::problems;

TEST(Libsvm, LoadsShippedData) {
  const auto ds = cp::load_libsvm(convlab::test::data_path("breast_cancer.libsvm"));
  EXPECT_EQ(ds.X.rows(), 569);
  EXPECT_EQ(ds.X.cols(), 30);
  EXPECT_EQ((ds.y.array() == 0).count(), 212);
  EXPECT_EQ((ds.y.array() == 1).count(), 357);
  EXPECT_DOUBLE_EQ(ds.X.coeff(0, 0), 17.99);  // first line: "0 1:17.99 2:10.38 ..."
  EXPECT_DOUBLE_EQ(ds.X.coeff(0, 1), 10.38);
  const auto digits = cp::load_libsvm(convlab::test::data_path("digits.libsvm"));
  EXPECT_EQ(digits.X.rows(), 1797);
  EXPECT_EQ(digits.X.cols(), 64);
}

TEST(Libsvm, CsvAndLibsvmCopiesAgree) {
  const auto a = cp::load_libsvm(convlab::test::data_path("iris.libsvm"));
  const auto b = cp::load_csv(convlab::test::data_path("iris.csv"), {.response = "y"});
  ASSERT_EQ(b.X.rows(), 150);
  ASSERT_EQ(b.X.cols(), 4);
  EXPECT_EQ(b.feature_names.front(), "sepal_length");
  EXPECT_LE((convlab::MatX<double>(a.X) - b.X).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_EQ(a.y, b.y);
}

TEST(Libsvm, ParsesTheFormatDetails) {
  const auto ds = cp::parse_libsvm("+1 1:0.5 3:2\n\n# comment\n-1 qid:4 2:1e3 # trailing\n", "t.libsvm");
  ASSERT_EQ(ds.X.rows(), 2);
  EXPECT_EQ(ds.X.cols(), 3);
  EXPECT_EQ(ds.y[0], 1.0);
  EXPECT_EQ(ds.y[1], -1.0);
  EXPECT_EQ(ds.X.coeff(0, 2), 2.0);
  EXPECT_EQ(ds.X.coeff(1, 1), 1000.0);
  const auto z = cp::parse_libsvm("0 0:1 4:2\r\n", "z.libsvm", {.zero_based = true, .num_features = 10});
  EXPECT_EQ(z.X.cols(), 10);
  EXPECT_EQ(z.X.coeff(0, 4), 2.0);
}

/// Expects a DataError whose message contains every fragment.
void expect_data_error(const std::function<void()>& fn, std::vector<std::string> fragments) {
  try {
    fn();
    ADD_FAILURE() << "no DataError";
  } catch (const convlab::DataError& e) {
    for (const auto& f : fragments) EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
  }
}

TEST(Libsvm, MalformedInputsNameFileLineAndField) {
  auto parse = [](std::string text, cp::LibsvmOptions o = {}) {
    return [=] { cp::parse_libsvm(text, "bad.libsvm", o); };
  };
  expect_data_error(parse("1 1:2\n1 2:x\n"), {"bad.libsvm:2:", "token 2", "'x' is not a number"});
  expect_data_error(parse("1 1:2\nabc 1:1\n"), {"bad.libsvm:2:", "label"});
  expect_data_error(parse("1 0:2\n"), {"bad.libsvm:1:", "1-based"});
  expect_data_error(parse("1 3:2 2:1\n"), {":1:", "not greater than the previous"});
  expect_data_error(parse("1 2:1 2:1\n"), {":1:", "not greater"});
  expect_data_error(parse("1 1:nan\n"), {":1:", "not finite"});
  expect_data_error(parse("inf 1:1\n"), {":1:", "label", "not finite"});
  expect_data_error(parse("1 5\n"), {":1:", "not index:value"});
  expect_data_error(parse("1 99999999999:1\n"), {":1:", "exceeds the number of features"});
  expect_data_error(parse("1 11:1\n", {.num_features = 10}), {":1:", "exceeds the number of features (10)"});
  expect_data_error(parse("1 1:1e999\n"), {":1:", "not a number"});
  expect_data_error(parse("\n# only comments\n"), {"bad.libsvm", "no samples"});
  expect_data_error([] { cp::load_libsvm("/nonexistent/file.libsvm"); }, {"/nonexistent/file.libsvm", "cannot open"});
  // Regression: one stray index made the model's dense vectors gigabytes long (5e7 in 100 rows).
  std::string stray;
  for (int i = 0; i < 100; ++i) stray += "1 1:0.5 2:1\n";
  expect_data_error(parse(stray + "0 50000000:1\n"), {"bad.libsvm:101:", "index 50000000", "implies 50000000 features",
                                                        "holds only 201 values"});
  expect_data_error(parse("1 2000000000:1\n"), {":1:", "implies 2000000000 features"});
  EXPECT_EQ(cp::parse_libsvm("1 1048576:1\n", "ok").X.cols(), 1 << 20) << "2^20 features are always allowed";
  EXPECT_EQ(cp::parse_libsvm("1 50000000:1\n", "ok", {.num_features = 50000000}).X.cols(), 50000000)
      << "a count given by the caller is trusted (the matrix stays sparse)";
  // Regression: devices were read until memory ran out; a directory read as an empty file.
  expect_data_error([] { cp::load_libsvm("/dev/zero"); }, {"/dev/zero", "not a regular file"});
  expect_data_error([] { cp::load_csv("/dev/urandom", {.response = "y"}); }, {"/dev/urandom", "not a regular file"});
  const auto dir = std::filesystem::temp_directory_path() / ("convlab-dir-" + std::to_string(::getpid()) + ".csv");
  std::filesystem::create_directories(dir);
  expect_data_error([&] { cp::load_csv(dir.string(), {.response = "y"}); }, {".csv", "is a directory"});
  std::filesystem::remove(dir);
  const auto ok = cp::parse_libsvm("1 1:nan\n", "nan.libsvm", {.allow_nonfinite = true});
  EXPECT_TRUE(std::isnan(ok.X.coeff(0, 0)));
}

TEST(Csv, LoadsShippedDataWithNamedResponse) {
  const auto ds = cp::load_csv(convlab::test::data_path("diabetes.csv"), {.response = "y"});
  EXPECT_EQ(ds.X.rows(), 442);
  EXPECT_EQ(ds.X.cols(), 10);
  EXPECT_EQ(ds.feature_names.size(), 10u);
}

TEST(Csv, QuotesBlankLinesAndResponseColumnAnywhere) {
  const auto ds = cp::parse_csv("\"a\",y, \"b,c\"\n1,2,3\n\n4,5,\"6\"\r\n", "q.csv", {.response = "y"});
  ASSERT_EQ(ds.X.rows(), 2);
  EXPECT_EQ(ds.feature_names, (std::vector<std::string>{"a", "b,c"}));
  EXPECT_EQ(ds.y[1], 5.0);
  EXPECT_EQ(ds.X(1, 1), 6.0);
}

// features / exclude choose the columns: an id or split column is never silently a feature,
// and a non-numeric column that is not used is not parsed.
TEST(Csv, FeaturesAndExcludeChooseTheColumns) {
  const std::string text = "id,y,a,split,b\nr1,1,2,train,3\nr2,4,5,test,6\n";
  const auto chosen = cp::parse_csv(text, "c.csv", {.response = "y", .features = {"b", "a"}});
  EXPECT_EQ(chosen.feature_names, (std::vector<std::string>{"b", "a"}));  // the order given
  EXPECT_EQ(chosen.X(1, 0), 6.0);
  EXPECT_EQ(chosen.X(1, 1), 5.0);
  EXPECT_EQ(chosen.y[1], 4.0);
  const auto rest = cp::parse_csv(text, "c.csv", {.response = "y", .exclude = {"split", "id"}});
  EXPECT_EQ(rest.feature_names, (std::vector<std::string>{"a", "b"}));  // file order
  EXPECT_EQ(rest.X, chosen.X.rowwise().reverse());
  // without a choice the non-numeric id is an error, not a feature
  expect_data_error([&] { cp::parse_csv(text, "c.csv", {.response = "y"}); }, {"c.csv:2:", "column 1 (id)", "not a number"});
  expect_data_error([&] { cp::parse_csv(text, "c.csv", {.response = "y", .features = {"a", "c"}}); },
                    {"c.csv:1:", "no column named 'c' (in features; columns: id, y, a, split, b)"});
  expect_data_error([&] { cp::parse_csv(text, "c.csv", {.response = "y", .exclude = {"idx"}}); },
                    {"c.csv:1:", "no column named 'idx' (in exclude"});
  expect_data_error([&] { cp::parse_csv(text, "c.csv", {.response = "y", .features = {"a", "y"}}); },
                    {"'y' is the response"});
  expect_data_error([&] { cp::parse_csv(text, "c.csv", {.response = "y", .features = {"a", "a"}}); },
                    {"'a' is listed twice"});
  expect_data_error([&] { cp::parse_csv("y,id\n1,2\n", "c.csv", {.response = "y", .exclude = {"id"}}); },
                    {"c.csv:1:", "no feature columns"});
  EXPECT_THROW(cp::parse_csv(text, "c.csv", {.response = "y", .features = {"a"}, .exclude = {"id"}}),
               convlab::InvalidArgument);
}

// A weights column is read in the same pass, one weight per row, and is never a feature; a
// negative, NaN or Inf weight names file, line and column (also with allow_nonfinite).
TEST(Csv, AWeightsColumnIsReadAndChecked) {
  const auto ds = cp::parse_csv("a,n,y\n1,2,3\n4,-0,6\n7,0.5,9\n", "w.csv", {.response = "y", .weights = "n"});
  EXPECT_EQ(ds.feature_names, (std::vector<std::string>{"a"}));
  ASSERT_EQ(ds.weights.size(), 3);
  EXPECT_EQ(ds.weights[0], 2.0);
  EXPECT_FALSE(std::signbit(ds.weights[1])) << "-0 is read as 0";
  EXPECT_EQ(ds.weights[2], 0.5);
  EXPECT_EQ(ds.X(2, 0), 7.0);
  EXPECT_EQ(cp::parse_csv("a,y\n1,2\n", "w.csv", {.response = "y"}).weights.size(), 0) << "no column asked for: empty";
  expect_data_error([&] { cp::parse_csv("a,n,y\n1,2,3\n4,-1,6\n", "w.csv", {.response = "y", .weights = "n"}); },
                    {"w.csv:3:", "column 2 (n)", "weight -1 is negative"});
  expect_data_error([&] { cp::parse_csv("a,n,y\n1,nan,3\n", "w.csv", {.response = "y", .weights = "n", .allow_nonfinite = true}); },
                    {"w.csv:2:", "column 2 (n)", "not finite"});
  expect_data_error([&] { cp::parse_csv("a,n,y\n1,2,3\n", "w.csv", {.response = "y", .features = {"a", "n"}, .weights = "n"}); },
                    {"'n' is the weights column"});
  expect_data_error([&] { cp::parse_csv("a,y\n1,2\n", "w.csv", {.response = "y", .weights = "n"}); },
                    {"no column named 'n' (the weights"});
  EXPECT_THROW(cp::parse_csv("a,y\n1,2\n", "w.csv", {.response = "y", .weights = "y"}), convlab::InvalidArgument);
}

// New rows to predict may lack the response: with response_optional, y is empty and the rows
// are still counted; a file that has the response reads as usual.
TEST(Csv, AnOptionalResponseMayBeAbsent) {
  const auto without = cp::parse_csv("b,a\n1,2\n3,4\n5,6\n", "n.csv", {.response = "y", .features = {"a", "b"}, .response_optional = true});
  EXPECT_EQ(without.X.rows(), 3);
  EXPECT_EQ(without.y.size(), 0);
  EXPECT_EQ(without.X(2, 0), 6.0);
  EXPECT_EQ(without.X(2, 1), 5.0);
  EXPECT_TRUE(without.response.empty());
  const auto with = cp::parse_csv("y,a\n7,1\n", "n.csv", {.response = "y", .response_optional = true});
  EXPECT_EQ(with.y[0], 7.0);
  EXPECT_EQ(with.response, "y");
  expect_data_error([&] { cp::parse_csv("a\n1\n", "n.csv", {.response = "y"}); }, {"no column named 'y' (the response"});
  expect_data_error([&] { cp::parse_csv("a,b\n", "n.csv", {.response = "y", .response_optional = true}); }, {"no data rows"});
}

TEST(Csv, MalformedInputsNameFileLineAndColumn) {
  auto parse = [](std::string text, std::string response = "y") {
    return [=] { cp::parse_csv(text, "bad.csv", {.response = response}); };
  };
  expect_data_error(parse("y,a\n1,2\n3,x\n"), {"bad.csv:3:", "column 2 (a)", "'x' is not a number"});
  expect_data_error(parse("y,a\n1,2\n3\n"), {"bad.csv:3:", "expected 2 fields", "found 1"});
  expect_data_error(parse("y,a\n1,\n"), {"bad.csv:2:", "column 2 (a)", "empty value"});
  expect_data_error(parse("y,a\n1,nan\n"), {"bad.csv:2:", "not finite"});
  expect_data_error(parse("y,a\n1,inf\n"), {"bad.csv:2:", "not finite"});
  expect_data_error(parse("a,b\n1,2\n"), {"bad.csv:1:", "no column named 'y'", "columns: a, b"});
  expect_data_error(parse("y,\"a\n"), {"bad.csv:1:", "unterminated quote"});
  expect_data_error(parse("y,a\n"), {"bad.csv", "no data rows"});
  expect_data_error(parse(""), {"bad.csv", "empty file"});
  expect_data_error(parse("y,,b\n1,2,3\n"), {"bad.csv:1:", "empty column name"});
  expect_data_error(parse("y,a,b,a\n1,2,3,4\n"), {"bad.csv:1:", "column 4", "duplicate column name 'a' (also column 2)"});
}

// ---- gzip-compressed data (a name ending in .gz) ----
namespace {
namespace fs = std::filesystem;

std::string slurp_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Writes `members` as consecutive gzip members of one file (zlib's writer, as gzip would).
void write_gzip(const fs::path& p, const std::vector<std::string>& members) {
  std::ofstream(p, std::ios::binary | std::ios::trunc);
  for (const auto& m : members) {
    gzFile f = gzopen(p.c_str(), "ab");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(gzwrite(f, m.data(), static_cast<unsigned>(m.size())), static_cast<int>(m.size()));
    ASSERT_EQ(gzclose(f), Z_OK);
  }
}

fs::path gz_dir() {
  const fs::path d = fs::temp_directory_path() / ("convlab-gz-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}
}  // namespace

// A compressed copy loads to the same bits as the plain file, in one gzip member or split over
// several (as `cat a.gz b.gz` makes), for CSV and LIBSVM.
TEST(Gzip, CompressedCopiesLoadLikeThePlainFiles) {
  const fs::path d = gz_dir();
  const std::string csv = slurp_bytes(convlab::test::data_path("breast_cancer.csv"));
  const std::string svm = slurp_bytes(convlab::test::data_path("digits.libsvm"));
  write_gzip(d / "bc.csv.gz", {csv});
  write_gzip(d / "bc2.CSV.GZ", {csv.substr(0, 1000), csv.substr(1000)});
  write_gzip(d / "digits.libsvm.gz", {svm.substr(0, 12345), svm.substr(12345)});
  const auto plain = cp::load_csv(convlab::test::data_path("breast_cancer.csv"), {.response = "y"});
  for (const char* name : {"bc.csv.gz", "bc2.CSV.GZ"}) {
    const auto gz = cp::load_csv((d / name).string(), {.response = "y"});
    EXPECT_EQ(gz.X, plain.X) << name;
    EXPECT_EQ(gz.y, plain.y) << name;
    EXPECT_EQ(gz.feature_names, plain.feature_names) << name;
  }
  const auto a = cp::load_libsvm(convlab::test::data_path("digits.libsvm")), b = cp::load_libsvm((d / "digits.libsvm.gz").string());
  EXPECT_EQ(convlab::MatX<double>(a.X), convlab::MatX<double>(b.X));
  EXPECT_EQ(a.y, b.y);
  fs::remove_all(d);
}

// Damaged, cut-off or mislabelled gzip data is an error naming the file, never a quiet partial read.
TEST(Gzip, TruncatedDamagedOrPlainDataIsRefused) {
  const fs::path d = gz_dir();
  const std::string csv = slurp_bytes(convlab::test::data_path("breast_cancer.csv"));
  write_gzip(d / "whole.csv.gz", {csv});
  const std::string bytes = slurp_bytes(d / "whole.csv.gz");
  std::ofstream(d / "cut.csv.gz", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  std::string flipped = bytes;
  for (std::size_t i = 40; i < 80; ++i) flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
  std::ofstream(d / "flipped.csv.gz", std::ios::binary) << flipped;
  std::ofstream(d / "plain.csv.gz", std::ios::binary) << csv;
  const auto load = [&](const char* name) { return [&d, name] { (void)cp::load_csv((d / name).string(), {.response = "y"}); }; };
  expect_data_error(load("cut.csv.gz"), {"cut.csv.gz", "cut off"});
  expect_data_error(load("flipped.csv.gz"), {"flipped.csv.gz", "gzip data"});  // damaged, or cut off where the damage misreads a length
  expect_data_error(load("plain.csv.gz"), {"plain.csv.gz", "not gzip-compressed"});
  expect_data_error(load("missing.csv.gz"), {"missing.csv.gz", "no such file"});
  fs::remove_all(d);
}

TEST(Gzip, TheFormatComesFromTheNameBeforeGz) {
  EXPECT_EQ(cp::data_format_from_name("a/b.csv"), "csv");
  EXPECT_EQ(cp::data_format_from_name("b.CSV.gz"), "csv");
  EXPECT_EQ(cp::data_format_from_name("b.libsvm.gz"), "libsvm");
  EXPECT_EQ(cp::data_format_from_name("b.svm"), "libsvm");
  EXPECT_EQ(cp::data_format_from_name("b.gz"), "");
  EXPECT_EQ(cp::data_format_from_name("b.txt.gz"), "");
  EXPECT_EQ(cp::data_format_from_name("b.csv.bz2"), "");
}
