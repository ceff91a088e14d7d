// sunwind audit JOB: a job's emissions audit from the daemon
// (GET /v1/jobs/{id}/audit, service/audit.h), as text with every figure's
// unit and how it was obtained, as JSON, as CodeCarbon CSV rows, or as an SVG
// chart of the grid's intensity over the job's span with its runs shaded.
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "cli/daemon_connection.h"
#include "cli/flags.h"
#include "cli/output.h"
#include "cli/svg_chart.h"
#include "core/units.h"
#include "metering/codecarbon_csv.h"
#include "service/audit.h"

namespace sunwind {
namespace {

std::string Kwh(double kwh) { return FormatNumber(kwh, kwh < 0.01 ? 6 : kwh < 1 ? 4 : 2) + " kWh"; }
// Small jobs emit fractions of a gram: FormatMass would print "0.0 g".
std::string Grams(double g) { return std::fabs(g) < 10 ? FormatNumber(g, 4) + " g" : FormatMass(g); }
std::string Grams(const std::optional<double>& g) { return g ? Grams(*g) + " CO2eq" : "unknown"; }

// The chart: each region's grid intensity (before PUE) over the hours the job
// ran there, the runs shaded.
ChartSpec AuditChartSpec(const JobAudit& a) {
  ChartSpec spec;
  spec.title = "sunwind audit " + a.job_id + " (" + a.state + "): the grid's intensity, the runs shaded";
  spec.subtitle = "emissions " + Grams(a.emissions_g) + ", IT energy " + Kwh(a.it_kwh);
  if (a.saving_g) spec.subtitle += "; saving " + Grams(*a.saving_g) + " CO2eq against running at submission";
  bool first = true;
  for (const AuditCurve& c : a.curves) {
    if (c.series.size() == 0) continue;
    spec.lines.push_back({c.region, c.zone, c.series, 1.0, false});
    if (first || c.series.start < spec.from) spec.from = c.series.start;
    if (first || c.series.end() > spec.to) spec.to = c.series.end();
    first = false;
  }
  for (const AuditPiece& p : a.intervals) {
    spec.spans.push_back({ChartSpan::Kind::kChosen, p.region, p.start, p.end});
    if (first || p.start < spec.from) spec.from = p.start;
    if (first || p.end > spec.to) spec.to = p.end;
    first = false;
  }
  if (spec.to <= spec.from) spec.to = spec.from + Duration{3600};
  return spec;
}

void PrintAudit(std::ostream& out, const JobAudit& a) {
  out << "Audit of " << a.job_id << " (" << a.state << (a.in_progress ? ", still running: the run so far" : "")
      << "): ran " << FormatDuration(Duration{static_cast<long long>(a.duration_s)}) << "\n\n";
  if (!a.intervals.empty()) {
    Table t({"START", "END", "REGION", "IT kWh", "GRID g/kWh", "KIND", "PLANNED g/kWh", "CO2eq g"});
    for (const AuditPiece& p : a.intervals) {
      t.Add({FormatTime(p.start), FormatTime(p.end), p.region, FormatNumber(p.energy_kwh, 6),
             p.intensity_g_per_kwh ? FormatNumber(*p.intensity_g_per_kwh, 1) : "unknown",
             p.intensity_kind.empty() ? "-" : p.intensity_kind,
             p.forecast_g_per_kwh ? FormatNumber(*p.forecast_g_per_kwh, 1) : "-",
             p.emissions_g ? FormatNumber(*p.emissions_g, 3) : "unknown"});
    }
    out << t.Render() << "\n";
  }
  out << "  Energy, CPU:       " << Kwh(a.cpu_kwh) << " (" << a.cpu_method << ")\n"
      << "  Energy, GPU:       " << Kwh(a.gpu_kwh) << " (" << a.gpu_method << ")\n"
      << "  Energy, RAM:       " << Kwh(a.ram_kwh) << " (" << a.ram_method << ")\n"
      << "  IT energy:         " << Kwh(a.it_kwh) << " (CPU + GPU + RAM)\n"
      << "  Facility energy:   " << Kwh(a.facility_kwh) << " (IT x PUE " << FormatNumber(a.pue, 2) << ")\n"
      << "  Emissions:         " << Grams(a.emissions_g)
      << " (each hour's energy x PUE x the grid intensity it had then)\n"
      << "  Planned emissions: " << Grams(a.planned_emissions_g) << " (the plan's figure, on its forecast)\n"
      << "  Water:             "
      << (a.water_l ? FormatNumber(*a.water_l, 3) + " L (WUE x IT energy)" : std::string("unknown (no published WUE)"))
      << "\n"
      << "  Counterfactual:    " << Grams(a.counterfactual.emissions_g) << " running at "
      << FormatTime(a.counterfactual.start) << " in " << a.counterfactual.region << "\n"
      << "  Saving:            "
      << (a.saving_g ? Grams(*a.saving_g) + " CO2eq" +
                           (a.saving_pct ? " (" + FormatNumber(*a.saving_pct, 1) + " %)" : std::string())
                     : std::string("unknown"))
      << " (counterfactual - emissions)\n";
  for (const auto& n : a.notes) out << "  Note: " << n << "\n";
}

Status WriteFile(const std::string& flag, const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (f) f << text;
  if (!f) return Status::Unavailable(flag + ": cannot write " + path + (errno ? ": " + std::string(std::strerror(errno)) : ""));
  return Status::Ok();
}

}  // namespace

int AuditCommand(const Args& args, CommandContext& ctx) {
  static const std::vector<FlagSpec> specs = WithDaemonFlags({
      {"json", false, "print the daemon's audit as JSON (full precision)"},
      {"csv", false, "CodeCarbon emissions.csv rows, one per hour run: to stdout, or appended to FILE after JOB"},
      {"svg", true, "write an SVG chart of the grid's intensity over the job's span, its runs shaded, to this file"},
  });
  auto flags = Flags::Parse(args, specs);
  if (!flags.ok()) return ReportError(ctx, "audit", flags.status());
  if (flags->Has("help")) {
    ctx.out << "usage: sunwind audit JOB [--json | --csv [FILE] | --svg FILE]\n\n"
               "What a job drew (CPU, GPU, RAM, and how each was measured), its facility energy, its emissions\n"
               "from the grid intensity of each hour it ran (the plan's forecast beside it), water, and the\n"
               "saving against running at submission in its home region. During a run: the audit so far.\n\n"
            << FlagsHelp(specs);
    return 0;
  }
  auto fail = [&](const Status& s) { return ReportError(ctx, "audit", s); };
  const auto& pos = flags->positional();
  if (pos.empty()) return fail(Status::InvalidArgument("JOB: required, e.g. j-000001 (see `sunwind jobs`)"));
  if (pos.size() > (flags->Has("csv") ? 2u : 1u)) return fail(Status::InvalidArgument("unexpected argument '" + pos.back() + "'"));
  if (flags->Has("json") && flags->Has("csv")) return fail(Status::InvalidArgument("--csv: give --json or --csv, not both"));

  auto connection = DaemonConnection::FromFlags(*flags);
  if (!connection.ok()) return fail(connection.status());
  ApiClient& client = connection->client();
  auto answer = client.Call("GET", "/v1/jobs/" + UrlEncode(pos[0]) + "/audit");
  if (!answer.ok()) return fail(answer.status());
  // Full precision: the daemon's numbers pass through unrounded.
  auto audit = JobAuditFromJson(nlohmann::json::parse(answer->dump()));
  if (!audit.ok()) return fail(audit.status().WithContext("the daemon's answer"));

  if (auto svg = flags->Get("svg")) {
    Status st = WriteFile("--svg", *svg, RenderIntensityChart(AuditChartSpec(*audit)));
    if (!st.ok()) return fail(st);
  }
  if (flags->Has("json")) {
    ctx.out << answer->dump(2) << "\n";
  } else if (flags->Has("csv")) {
    const auto rows = AuditCodeCarbonRows(*audit, /*per_piece=*/true);
    if (pos.size() == 2) {
      for (const auto& row : rows) {
        Status st = AppendCodeCarbonRow(pos[1], row);
        if (!st.ok()) return fail(st.WithContext("--csv"));
      }
      ctx.err << "sunwind audit: appended " << rows.size() << " CodeCarbon row(s) to " << pos[1] << "\n";
    } else {
      ctx.out << CodeCarbonHeader();
      for (const auto& row : rows) ctx.out << FormatCodeCarbonRow(row);
    }
  } else {
    PrintAudit(ctx.out, *audit);
    if (auto svg = flags->Get("svg")) ctx.out << "  Chart: " << *svg << "\n";
  }
  return 0;
}

}  // namespace sunwind
