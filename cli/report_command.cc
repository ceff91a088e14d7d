// sunwind report: energy, emissions, water, savings and the embodied estimate
// of the daemon's jobs per project, region and month (GET /v1/report,
// server/report_routes.h), as a table, JSON or CSV.
#include <cmath>
#include <ostream>

#include "cli/commands.h"
#include "cli/daemon_connection.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "core/units.h"
#include "metering/codecarbon_csv.h"

namespace sunwind {
namespace {

// The columns of a row, in the order --csv writes them.
const char* const kColumns[] = {"energy_kwh", "it_energy_kwh", "emissions_g", "water_l", "saving_g", "embodied_g"};

std::string Cell(const Json& row, const char* key, bool csv) {
  if (!row.contains(key) || !row[key].is_number()) return csv ? "" : "-";
  const double v = row[key].get<double>();
  return csv ? FormatCsvNumber(v) : FormatNumber(v, std::fabs(v) < 1 ? 4 : 2);
}

std::string CsvText(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void PrintCsv(std::ostream& out, const Json& report) {
  out << "project,region,month,jobs";
  for (const char* c : kColumns) out << "," << c;
  out << "\n";
  auto line = [&](const Json& row, const std::string& project, const std::string& region, const std::string& month) {
    out << CsvText(project) << "," << CsvText(region) << "," << month << "," << row.value("jobs", 0);
    for (const char* c : kColumns) out << "," << Cell(row, c, true);
    out << "\n";
  };
  for (const auto& row : report["rows"]) {
    line(row, row.value("project", ""), row.value("region", ""), row.value("month", ""));
  }
  line(report["totals"], "TOTAL", "", "");
}

void PrintTable(std::ostream& out, const Json& report) {
  if (report["rows"].empty()) {
    out << "no job has run in that span; see `sunwind jobs`\n";
    return;
  }
  Table t({"PROJECT", "REGION", "MONTH", "JOBS", "ENERGY kWh", "IT kWh", "CO2eq g", "WATER L", "SAVING g",
           "EMBODIED g"});
  auto add = [&](const Json& row, const std::string& project, const std::string& region, const std::string& month) {
    std::vector<std::string> cells = {project, region, month, std::to_string(row.value("jobs", 0))};
    for (const char* c : kColumns) cells.push_back(Cell(row, c, false));
    t.Add(cells);
  };
  for (const auto& row : report["rows"]) {
    add(row, row.value("project", ""), row.value("region", ""), row.value("month", ""));
  }
  add(report["totals"], "TOTAL", "", "");
  out << t.Render();
  for (const auto& n : report["notes"]) out << "Note: " << n.get<std::string>() << "\n";
}

}  // namespace

int ReportCommand(const Args& args, CommandContext& ctx) {
  static const std::vector<FlagSpec> specs = WithDaemonFlags({
      {"project", true, "only this project's jobs"},
      {"from", true, "only jobs that first ran at or after this time (RFC 3339)"},
      {"to", true, "only jobs that first ran before this time (RFC 3339)"},
      {"json", false, "print the daemon's answer as JSON"},
      {"csv", false, "print CSV: project,region,month,jobs, then the figures, then a TOTAL row"},
  });
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) return ReportError(ctx, "report", flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind report [--project P] [--from T --to T] [--json | --csv]\n\n"
               "Energy (facility kWh), operational emissions (g CO2eq from each hour's grid intensity), water (L),\n"
               "savings against running at submission, and the embodied estimate (apart) of the daemon's jobs,\n"
               "per project, region and month, with totals.\n\n"
            << FlagsHelp(specs);
    return 0;
  }
  auto fail = [&](const Status& s) { return ReportError(ctx, "report", s); };
  if (!flags->positional().empty()) return fail(Status::InvalidArgument("unexpected argument '" + flags->positional()[0] + "'"));
  if (flags->Has("json") && flags->Has("csv")) return fail(Status::InvalidArgument("--csv: give --json or --csv, not both"));
  std::string query;
  for (const char* name : {"from", "to"}) {
    auto v = flags->Get(name);
    if (!v) continue;
    auto t = ParseTime(*v);
    if (!t.ok()) return fail(t.status().WithContext(std::string("--") + name));
    query += (query.empty() ? "" : "&") + std::string(name) + "=" + UrlEncode(FormatTime(*t));
  }
  if (auto p = flags->Get("project")) query += (query.empty() ? "" : "&") + std::string("project=") + UrlEncode(*p);

  auto daemon = DaemonConnection::FromFlags(*flags);
  if (!daemon.ok()) return fail(daemon.status());
  auto answer = daemon->client().Call("GET", "/v1/report" + (query.empty() ? "" : "?" + query));
  if (!answer.ok()) return fail(answer.status());
  if (flags->Has("json")) {
    ctx.out << answer->dump(2) << "\n";
  } else if (flags->Has("csv")) {
    PrintCsv(ctx.out, *answer);
  } else {
    PrintTable(ctx.out, *answer);
  }
  return 0;
}

}  // namespace sunwind
