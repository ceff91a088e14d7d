#!/usr/bin/env python3
"""The dashboard in headless Chromium, against the real daemon.

Starts the built `sunwind serve` on config/demo.yaml (a free port, a temporary
state dir, a clock 10x real time), submits jobs over the API (one running now,
one waiting, one paused, one quickly done), opens http://.../ in headless
Chromium and checks that each region's lanes, each job's bar and row, and the
totals are there and show what the API answers (fetched here with urllib);
clicks a job to open its view and checks its plan and state history; checks the
static routes refuse traversal; saves a screenshot to OUTDIR/dashboard.png.

usage: dashboard_test.py SUNWIND_BINARY OUTDIR
Exit 0 passed, 1 failed, 77 skipped (no chromium, chromedriver or selenium).
"""
import datetime as dt
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLOCK_SPEED = 10  # the daemon's hour lasts 6 real minutes: the test spans one or two hours at most


def find_browser():
    """(chromium, chromedriver) paths, or a reason they are missing."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None, "python3-selenium is not installed"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
    if not chromium:
        return None, "chromium is not installed"
    if not driver:
        return None, "chromedriver (chromium-driver) is not installed"
    return (chromium, driver), None


class Daemon:
    """`sunwind serve` as a child process on a free port."""

    def __init__(self, binary, state_dir):
        self.proc = subprocess.Popen(
            [binary, "serve", "--config", os.path.join(SOURCE_DIR, "config", "demo.yaml"), "--listen",
             "127.0.0.1:0", "--state-dir", state_dir, "--clock-speed", str(CLOCK_SPEED), "--tick", "200ms"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.url = None
        lines = []
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if m:
                self.url = m.group(1)
                break
        if not self.url:
            self.stop()
            raise RuntimeError("the daemon did not start:\n" + "".join(lines))
        with open(os.path.join(state_dir, "token")) as f:
            self.token = f.read().strip()

    def call(self, method, path, body=None):
        """(status, parsed JSON or text)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        if data:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, raw = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read().decode()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw

    def raw_get(self, path):
        """(status, content type, body) for a path sent exactly as given."""
        host, port = self.url[len("http://"):].split(":")
        c = http.client.HTTPConnection(host, int(port), timeout=10)
        c.request("GET", path)
        r = c.getresponse()
        out = (r.status, r.getheader("Content-Type"), r.read().decode(errors="replace"))
        c.close()
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Checks:
    def __init__(self):
        self.failures = []
        self.passed = 0

    def equal(self, got, want, what):
        if got == want:
            self.passed += 1
        else:
            self.failures.append(f"{what}: got {got!r}, want {want!r}")

    def near(self, got, want, what, tol=1e-6):
        ok = got is not None and want is not None and abs(float(got) - float(want)) <= tol * max(1.0, abs(want))
        if ok:
            self.passed += 1
        else:
            self.failures.append(f"{what}: got {got!r}, want {want!r}")

    def true(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failures.append(what)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def submit_jobs(d):
    """Four jobs: running now, waiting for later, paused by the user, done quickly."""
    status, health = d.call("GET", "/v1/healthz")
    assert status == 200, health
    now = dt.datetime.strptime(health["now"], "%Y-%m-%dT%H:%M:%SZ")
    h = dt.timedelta(hours=1)
    work = tempfile.mkdtemp(prefix="sunwind-web-work-")
    common = {"working_dir": work}
    jobs = {
        # Must start at once: its deadline leaves no slack.
        "running": {"name": "urgent-report", "project": "finance", "command": ["/bin/sh", "-c", "sleep 100"],
                    "duration_s": 7200, "power_w": 300, "deadline": iso(now + 2 * h + dt.timedelta(minutes=5)),
                    "allowed_regions": ["local:host"]},
        # Cannot start before six hours from now.
        "waiting": {"name": "nightly-etl", "project": "data", "command": ["/bin/true"], "duration_s": 3600,
                    "power_w": 800, "earliest_start": iso(now + 6 * h), "deadline": iso(now + 30 * h),
                    "allowed_regions": ["local:host", "demo:norway", "demo:california"]},
        "paused": {"name": "finetune-bert", "project": "nlp", "command": ["/bin/true"], "duration_s": 10800,
                   "power_w": 2400, "earliest_start": iso(now + 3 * h), "deadline": iso(now + 40 * h),
                   "interruptible": True, "allowed_regions": ["demo:california"]},
        "done": {"name": "quick-check", "project": "finance", "command": ["/bin/true"], "duration_s": 3600,
                 "power_w": 100, "deadline": iso(now + h + dt.timedelta(minutes=5)),
                 "allowed_regions": ["demo:norway"]},
    }
    ids = {}
    for role, body in jobs.items():
        status, job = d.call("POST", "/v1/jobs", {**body, **common})
        assert status == 201, (role, status, job)
        ids[role] = job["id"]
    status, job = d.call("POST", f"/v1/jobs/{ids['paused']}:pause")
    assert status == 200, job
    return ids


def wait_for(predicate, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError("timed out waiting for " + what)


def job_region(detail):
    if detail.get("region"):
        return detail["region"]
    plan = detail.get("plan") or {}
    if plan.get("intervals"):
        return plan["intervals"][0]["region"]
    return detail.get("home_region") or (detail.get("allowed_regions") or ["local:host"])[0]


def check_job_view(driver, d, c, job_id):
    """The open job view shows the API's state, plan and state history."""
    from selenium.webdriver.common.by import By
    _, detail = d.call("GET", "/v1/jobs/" + job_id)
    view = driver.find_element(By.ID, "job-view")
    c.equal(view.find_element(By.ID, "job-state").text, detail["state"], f"{job_id} view: state")
    if detail.get("plan"):
        c.equal(len(view.find_elements(By.CSS_SELECTOR, "#plan-table tbody tr")), len(detail["plan"]["intervals"]),
                f"{job_id} view: plan intervals")
        c.near(float(view.find_element(By.CSS_SELECTOR, '#job-plan [data-field="expected_emissions_g"]')
                     .get_attribute("data-value")), detail["plan"]["expected_emissions_g"],
               f"{job_id} view: plan emissions")
        first_time = view.find_element(By.CSS_SELECTOR, "#plan-table time")
        c.true(first_time.get_attribute("title").endswith("Z (UTC)"), "times carry UTC on hover")
    else:
        c.true(view.find_element(By.ID, "no-plan").text.startswith("no plan yet"), f"{job_id} view: no plan yet")
    c.equal([t.text for t in view.find_elements(By.CSS_SELECTOR, "#events-table tbody tr td:nth-child(2)")],
            [f"{e['from'] or '—'} → {e['to']}" for e in detail["events"]], f"{job_id} view: state history")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    binary, outdir = sys.argv[1], sys.argv[2]
    found, why = find_browser()
    if not found:
        print(f"SKIP: {why}; install Debian's chromium chromium-driver python3-selenium (scripts/setup.sh)")
        return SKIP
    chromium, chromedriver = found
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    os.makedirs(outdir, exist_ok=True)
    state_dir = tempfile.mkdtemp(prefix="sunwind-web-test-")
    d = Daemon(binary, state_dir)
    driver = None
    c = Checks()
    ids = {}
    try:
        # The static routes: the page, its types, nothing else.
        status, ctype, body = d.raw_get("/")
        c.equal((status, ctype), (200, "text/html; charset=utf-8"), "GET /")
        c.true("/web/app.js" in body, "the page loads /web/app.js")
        c.equal(d.raw_get("/web/app.js")[:2], (200, "text/javascript; charset=utf-8"), "GET /web/app.js")
        c.equal(d.raw_get("/web/style.css")[:2], (200, "text/css; charset=utf-8"), "GET /web/style.css")
        for path in ["/web/../CMakeLists.txt", "/web/%2e%2e/CMakeLists.txt", "/web/%2e%2e%2fCMakeLists.txt",
                     "/web/nope.js", "/../CMakeLists.txt"]:
            status, _, body = d.raw_get(path)
            c.equal(status, 404, "GET " + path)
            c.true("cmake_minimum_required" not in body, "no source file behind " + path)

        ids = submit_jobs(d)
        wait_for(lambda: d.call("GET", f"/v1/jobs/{ids['running']}")[1]["state"] == "running", 20,
                 "the urgent job to run")
        wait_for(lambda: d.call("GET", f"/v1/jobs/{ids['done']}")[1]["state"] == "done", 20, "the quick job to end")

        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1400,2400", "--lang=en-GB"]:
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
        driver.set_page_load_timeout(30)
        driver.get(d.url + "/")
        WebDriverWait(driver, 30).until(
            lambda drv: drv.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "true")

        # The API's answers, fetched here: what the page must show. Metered
        # figures grow while a job runs, so the page's must lie between the
        # report fetched before its refresh and the one fetched after.
        refreshes = int(driver.find_element(By.TAG_NAME, "body").get_attribute("data-refreshes"))
        report_status, report = d.call("GET", "/v1/report")
        WebDriverWait(driver, 30).until(
            lambda drv: int(drv.find_element(By.TAG_NAME, "body").get_attribute("data-refreshes")) >= refreshes + 2)
        _, grid = d.call("GET", "/v1/grid?hours_back=24&hours_ahead=48")
        _, listing = d.call("GET", "/v1/jobs")
        details = {j["id"]: d.call("GET", "/v1/jobs/" + j["id"])[1] for j in listing["jobs"]}

        # Grid view: a lane per runnable region; the value it shows for its
        # current hour is the API's for that hour.
        for region in grid["regions"]:
            rid = region["region"]
            lanes = driver.find_elements(By.CSS_SELECTOR, f'.grid-lane[data-region="{rid}"]')
            c.equal(len(lanes), 1, f"grid lane of {rid}")
            c.equal(len(driver.find_elements(By.CSS_SELECTOR, f'.queue-lane[data-region="{rid}"]')), 1,
                    f"queue lane of {rid}")
            if not lanes:
                continue
            shown = lanes[0].find_element(By.CSS_SELECTOR, ".now-value")
            hour = shown.get_attribute("data-hour")
            point = next((p for p in region["points"] if p["start"] == hour), None)
            c.true(point is not None, f"{rid}: the page's current hour {hour} is in the API's grid")
            if point and point["effective_g_per_kwh"] is not None:
                c.near(float(shown.get_attribute("data-value")), point["effective_g_per_kwh"],
                       f"{rid}: effective intensity now")
                c.equal(shown.text, "now %.0f g CO₂eq/kWh" % point["effective_g_per_kwh"], f"{rid}: its label")
            c.true(len(lanes[0].find_elements(By.CSS_SELECTOR, "polyline.curve")) >= 1, f"{rid}: a curve")
            if any("low_effective_g_per_kwh" in p for p in region["points"]):
                c.equal(len(lanes[0].find_elements(By.CSS_SELECTOR, "polygon.band")), 1, f"{rid}: its band")
        c.true(len(driver.find_elements(By.CSS_SELECTOR, "#grid-chart .now-line")) == 1, "the grid's now line")

        # Queue view: each job's bar in its region's lane with its state and
        # deadline, and its row with its planned figures. States move on, so
        # wait for the page to catch up with the API for the stable ones.
        def states_agree():
            bars = {b.get_attribute("data-job-id"): b.get_attribute("data-state")
                    for b in driver.find_elements(By.CSS_SELECTOR, ".job-bar")}
            return all(bars.get(ids[r]) == s for r, s in
                       [("running", "running"), ("waiting", "queued"), ("paused", "paused"), ("done", "done")])
        try:
            WebDriverWait(driver, 15).until(lambda drv: states_agree())
        except Exception:
            pass
        for job_id, detail in details.items():
            bars = driver.find_elements(By.CSS_SELECTOR,
                                        f'.queue-lane[data-region="{job_region(detail)}"] .job-bar[data-job-id="{job_id}"]')
            c.equal(len(bars), 1, f"{job_id}: one bar in lane {job_region(detail)}")
            if bars:
                if detail["state"] in ("queued", "paused", "done"):
                    c.equal(bars[0].get_attribute("data-state"), detail["state"], f"{job_id}: bar state")
                c.equal(bars[0].find_element(By.CSS_SELECTOR, ".deadline").get_attribute("data-deadline"),
                        detail["deadline"], f"{job_id}: deadline marked")
                c.true(len(bars[0].find_elements(By.CSS_SELECTOR, "rect")) >= 1, f"{job_id}: drawn")
            rows = driver.find_elements(By.CSS_SELECTOR, f'#job-table tr[data-job-id="{job_id}"]')
            c.equal(len(rows), 1, f"{job_id}: one row")
            if rows and detail.get("plan"):
                fig = rows[0].find_element(By.CSS_SELECTOR, '[data-field="expected_emissions_g"]')
                c.near(float(fig.get_attribute("data-value")), detail["plan"]["expected_emissions_g"],
                       f"{job_id}: planned emissions")
                c.true(fig.text.endswith("CO₂eq"), f"{job_id}: emissions carry a unit ({fig.text})")
        running_bar = driver.find_elements(By.CSS_SELECTOR, f'.job-bar[data-job-id="{ids["running"]}"] rect.run')
        c.true(len(running_bar) >= 1, "the running job has a run segment")
        # The waiting job: its plan ahead, or while the scheduler has not planned
        # it yet, the window it may run in.
        waiting_bar = driver.find_elements(By.CSS_SELECTOR,
                                           f'.job-bar[data-job-id="{ids["waiting"]}"] rect.planned, '
                                           f'.job-bar[data-job-id="{ids["waiting"]}"] rect.window')
        c.true(len(waiting_bar) >= 1, "the waiting job has a planned segment or its window")

        # Totals: the week's per project sums of the plans (cancelled left
        # out); the month from /v1/report when the daemon has it.
        now = dt.datetime.strptime(grid["now"], "%Y-%m-%dT%H:%M:%SZ")
        week_start = dt.datetime(now.year, now.month, now.day) - dt.timedelta(days=now.weekday())
        want = {}
        for job_id, detail in details.items():
            created = dt.datetime.strptime(detail["created_at"], "%Y-%m-%dT%H:%M:%SZ")
            if detail["state"] == "cancelled" or not detail.get("plan") or created < week_start:
                continue
            t = want.setdefault(detail["project"], [0, 0.0])
            t[0] += 1
            t[1] += detail["plan"]["expected_emissions_g"]
        totals = driver.find_element(By.ID, "totals")
        c.equal(totals.get_attribute("data-report"), "metered" if report_status == 200 else "planned",
                "totals say where they come from")
        for project, (jobs, grams) in want.items():
            rows = driver.find_elements(By.CSS_SELECTOR, f'#totals tr[data-period="week"][data-project="{project}"]')
            c.equal(len(rows), 1, f"week total of {project}")
            if rows:
                c.equal(rows[0].find_element(By.CSS_SELECTOR, '[data-field="jobs"]').text, str(jobs),
                        f"{project}: jobs this week")
                c.near(float(rows[0].find_element(By.CSS_SELECTOR, '[data-field="emissions_g"]')
                             .get_attribute("data-value")), grams, f"{project}: emissions this week")
        if report_status == 200:
            month = now.strftime("%Y-%m")
            shown = {}
            for project in {r["project"] for r in report["rows"] if r["month"] == month}:
                rows = driver.find_elements(By.CSS_SELECTOR,
                                            f'#totals tr[data-period="month"][data-project="{project}"]')
                c.equal(len(rows), 1, f"month total of {project}")
                if rows:
                    shown[project] = float(rows[0].find_element(By.CSS_SELECTOR, '[data-field="emissions_g"]')
                                           .get_attribute("data-value"))
            _, report_after = d.call("GET", "/v1/report")

            def month_grams(rep, project):
                return sum(r["emissions_g"] for r in rep["rows"] if r["month"] == month and r["project"] == project)
            for project, grams in shown.items():
                low, high = month_grams(report, project), month_grams(report_after, project)
                c.true(min(low, high) - 1e-6 <= grams <= max(low, high) + 1e-6,
                       f"{project}: emissions this month {grams} g between the report's {low} and {high} g")

        # Job view: click the waiting job's bar.
        waiting = ids["waiting"]
        driver.find_element(By.CSS_SELECTOR, f'.job-bar[data-job-id="{waiting}"] rect').click()
        WebDriverWait(driver, 15).until(
            lambda drv: drv.find_element(By.ID, "job-view").is_displayed() and
            drv.find_element(By.ID, "job-view").get_attribute("data-job-id") == waiting and
            drv.find_elements(By.CSS_SELECTOR, "#events-table"))
        check_job_view(driver, d, c, waiting)
        # Audit and power: the other parts of the daemon, or a plain "not yet".
        view = driver.find_element(By.ID, "job-view")
        for part, path in [("job-audit", "audit"), ("job-power", "samples")]:
            status, _ = d.call("GET", f"/v1/jobs/{waiting}/{path}")
            text = view.find_element(By.ID, part).text
            if status == 404:
                c.true("not available yet" in text, f"{part}: says not available yet ({text!r})")
            else:
                c.true(text.strip() != "", f"{part}: shows something for HTTP {status}")

        # The running job's view (planned, by now), by its row: left open for the screenshot.
        running = ids["running"]
        driver.find_element(By.CSS_SELECTOR, f'#job-table tr[data-job-id="{running}"]').click()
        WebDriverWait(driver, 15).until(
            lambda drv: drv.find_element(By.ID, "job-view").get_attribute("data-job-id") == running and
            drv.find_elements(By.CSS_SELECTOR, "#plan-table"))
        check_job_view(driver, d, c, running)
        audit_status, audit = d.call("GET", f"/v1/jobs/{running}/audit")
        if audit_status == 200 and audit.get("emissions_g") is not None:
            WebDriverWait(driver, 15).until(lambda drv: drv.find_elements(By.ID, "audit-figures"))
            shown = driver.find_element(By.CSS_SELECTOR, '#audit-figures [data-field="emissions_g"]')
            c.true(shown.text.endswith("CO₂eq"), "audit emissions carry a unit")
        driver.execute_script("window.scrollTo(0, 0)")
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1400, max(1200, min(int(height) + 200, 4000)))
        time.sleep(0.5)
        shot = os.path.join(outdir, "dashboard.png")
        driver.save_screenshot(shot)
        c.true(os.path.getsize(shot) > 10000, "a screenshot at " + shot)
        logs = [entry for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
        c.equal(logs, [], "no errors in the browser's console")
    except Exception:
        # What the page showed when it went wrong, for the log and the eye.
        if driver is not None:
            driver.save_screenshot(os.path.join(outdir, "dashboard-failure.png"))
            print(driver.execute_script("return document.getElementById('queue-view').outerHTML")[:20000])
        for job_id in ids.values():
            print(job_id, json.dumps(d.call("GET", "/v1/jobs/" + job_id)[1])[:2000])
        raise
    finally:
        if driver is not None:
            driver.quit()
        for job_id in ids.values():
            d.call("POST", f"/v1/jobs/{job_id}:cancel")
        d.stop()
        shutil.rmtree(state_dir, ignore_errors=True)

    print(f"{c.passed} checks passed, {len(c.failures)} failed; screenshot in {os.path.join(outdir, 'dashboard.png')}")
    for f in c.failures:
        print("FAIL:", f)
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
