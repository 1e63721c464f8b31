#include "report/report.hpp"

#include <boost/archive/iterators/base64_from_binary.hpp>
#include <boost/archive/iterators/transform_width.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iterator>
#include <sstream>

#include "fit/run_folder.hpp"
#include "version.hpp"

namespace convlab::experiments {
namespace {

std::string number(std::optional<double> v) {
  if (!v) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", *v);
  return buf;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c == '\n' ? ' ' : c);
  return out;
}

/// The small markdown subset runners emit: paragraphs, pipe tables, **bold**.
std::string markdown_to_html(const std::string& md) {
  auto inline_md = [](const std::string& text) {
    std::string out = html_escape(text), res;
    bool open = false;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out.compare(i, 2, "**") == 0) {
        res += open ? "</b>" : "<b>";
        open = !open;
        ++i;
      } else {
        res += out[i];
      }
    }
    return res;
  };
  std::istringstream in(md);
  std::ostringstream html;
  std::string line;
  bool in_table = false, header = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.front() == '|') {
      if (line.find("---") != std::string::npos) continue;
      if (!in_table) html << "<table>";
      in_table = true;
      html << "<tr>";
      std::size_t pos = 1, bar;
      while ((bar = line.find('|', pos)) != std::string::npos) {
        const std::string cell = line.substr(pos, bar - pos);
        html << (header ? "<th>" : "<td>") << inline_md(cell) << (header ? "</th>" : "</td>");
        pos = bar + 1;
      }
      html << "</tr>\n";
      header = false;
    } else {
      if (in_table) html << "</table>\n";
      in_table = false;
      header = true;
      if (!line.empty()) html << "<p>" << inline_md(line) << "</p>\n";
    }
  }
  if (in_table) html << "</table>\n";
  return html.str();
}

std::string base64_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  using namespace boost::archive::iterators;
  using It = base64_from_binary<transform_width<std::string::const_iterator, 6, 8>>;
  std::string out(It(bytes.begin()), It(bytes.end()));
  out.append((3 - bytes.size() % 3) % 3, '=');
  return out;
}

std::string today() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

}  // namespace

bool claim_holds(const std::string& op, double m, double t) {
  if (op == "<=") return m <= t;
  if (op == "<") return m < t;
  if (op == ">=") return m >= t;
  return m > t;
}

void write_report(const std::filesystem::path& out, const std::vector<ExperimentResult>& results,
                  const std::string& profile) {
  std::size_t total = 0, passed = 0;
  for (const auto& r : results)
    for (const auto& c : r.claims) {
      ++total;
      passed += c.pass;
    }
  std::ostringstream md, html;
  md << "# convlab reproduction report\n\n"
     << "Profile **" << profile << "**, convlab " << kVersion << " (commit " << kGitCommit << "), " << today() << ".\n\n"
     << "**" << passed << " of " << total << " claims hold.** Each claim is an explicit check in code: the metric "
     << "of the named run compared with the stated threshold. A source that cites \"spec\" (a section such as (d) or "
     << "§b.4) means the implementation spec the method was built from, `docs/specs/<paper>.md` in the repository.\n\n";
  html << "<!doctype html><html><head><meta charset=\"utf-8\"><title>convlab reproduction report</title><style>"
       << "body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
       << "table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:4px 6px;vertical-align:top}"
       << "th{background:#f3f3f3}.pass{color:#186a18;font-weight:bold}.fail{color:#b00;font-weight:bold}"
       << "img{max-width:100%}</style></head><body>\n"
       << "<h1>convlab reproduction report</h1><p>Profile <b>" << profile << "</b>, convlab " << kVersion
       << " (commit " << kGitCommit << "), " << today() << ".</p><p><b>" << passed << " of " << total
       << " claims hold.</b> Each claim is an explicit check in code: the metric of the named run compared with the "
          "stated threshold. A source that cites \"spec\" (a section such as (d) or §b.4) means the implementation spec "
          "the method was built from, <code>docs/specs/&lt;paper&gt;.md</code> in the repository.</p>\n";
  for (const auto& r : results) {
    const auto& e = *r.spec;
    md << "## " << e.title << "\n\n`" << e.name << "` — paper: " << e.paper << " — config: `experiments/configs/" << e.name << ".toml`\n\n";
    if (!e.description.empty()) md << e.description << "\n\n";
    html << "<h2>" << html_escape(e.title) << "</h2><p><code>" << html_escape(e.name) << "</code> — paper: "
         << html_escape(e.paper) << "</p>";
    if (!e.description.empty()) html << "<p>" << html_escape(e.description) << "</p>";
    if (!r.diverged_runs.empty()) {
      std::string list;
      for (const auto& d : r.diverged_runs) list += (list.empty() ? "" : ", ") + d;
      md << "**Diverged runs:** " << list << "\n\n";
      html << "<p class=\"fail\">Diverged runs: " << html_escape(list) << "</p>";
    }
    for (const auto& figure : r.figures) {
      md << "![" << e.name << "](" << figure << ")\n\n";
      const auto png = out / figure;
      if (std::filesystem::exists(png))
        html << "<p><img alt=\"" << html_escape(e.name) << "\" src=\"data:image/png;base64," << base64_file(png)
             << "\"></p>";
    }
    if (!r.details.empty()) {
      md << r.details << "\n";
      html << markdown_to_html(r.details);
    }
    md << "| claim | source | the paper states | we measured | check | result | run |\n"
       << "|---|---|---|---|---|---|---|\n";
    html << "<table><tr><th>claim</th><th>source</th><th>the paper states</th><th>we measured</th><th>check</th>"
            "<th>result</th><th>run</th></tr>\n";
    for (const auto& c : r.claims) {
      const std::string metric =
          c.spec.baseline.empty() ? c.spec.metric
                                  : c.spec.metric + "(" + c.spec.run + ") / " + c.spec.metric + "(" + c.spec.baseline + ")";
      const std::string check = metric + " " + c.spec.op + " " + number(c.spec.threshold);
      md << "| " << md_cell(c.spec.statement) << " | " << md_cell(c.spec.source) << " | " << md_cell(c.spec.paper_value)
         << " | " << md_cell(metric) << " = " << number(c.measured) << " | " << md_cell(check) << " | "
         << (c.pass ? "PASS" : "FAIL") << " | [" << c.spec.run << "](" << c.run_dir << "/) |\n";
      html << "<tr><td>" << html_escape(c.spec.statement) << "</td><td>" << html_escape(c.spec.source) << "</td><td>"
           << html_escape(c.spec.paper_value) << "</td><td>" << html_escape(metric) << " = " << number(c.measured)
           << "</td><td>" << html_escape(check) << "</td><td class=\"" << (c.pass ? "pass\">PASS" : "fail\">FAIL")
           << "</td><td><a href=\"" << html_escape(c.run_dir) << "/summary.json\">" << html_escape(c.spec.run)
           << "</a></td></tr>\n";
    }
    md << "\n";
    html << "</table>\n";
  }
  html << "</body></html>\n";
  write_atomic(out / "report.md", md.str());
  write_atomic(out / "report.html", html.str());
}

}  // namespace convlab::experiments
