// sunwind's dashboard: plain JavaScript over the daemon's API (docs/api.md),
// no build step, no external URLs. Charts are inline SVG drawn here.
// Every time is shown in the viewer's local time with UTC in its title;
// every number carries its unit. Elements tests look for carry stable ids and
// data attributes: data-region (lanes), data-job-id / data-state (bars, rows),
// data-field / data-value (numbers), data-project / data-period (totals).
'use strict';

const SVG_NS = 'http://www.w3.org/2000/svg';
const REFRESH_MS = 5000;
const TOKEN_KEY = 'sunwind-token';
const STATES = ['queued', 'running', 'paused', 'done', 'failed', 'cancelled'];
const ENDED = new Set(['done', 'failed', 'cancelled']);

const state = {grid: null, jobs: [], details: new Map(), openJob: null, now: null};

// ---- the API ----------------------------------------------------------------

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

// {status, body}: body is parsed JSON when the answer is JSON. Never throws
// for an HTTP error; a network failure is status 0.
async function api(path, method = 'GET') {
  const headers = {};
  if (token()) headers['Authorization'] = 'Bearer ' + token();
  try {
    const r = await fetch(path, {method, headers});
    const text = await r.text();
    let body = text;
    try { body = JSON.parse(text); } catch (e) { /* not JSON */ }
    return {status: r.status, body};
  } catch (e) {
    return {status: 0, body: {error: 'the daemon did not answer (' + e.message + ')'}};
  }
}

// ---- formatting -------------------------------------------------------------

const ms = iso => Date.parse(iso);
const pad = n => String(n).padStart(2, '0');

function localTime(iso, withDate = true) {
  const d = new Date(iso);
  const hm = pad(d.getHours()) + ':' + pad(d.getMinutes());
  if (!withDate) return hm;
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + hm;
}

function utcTitle(iso) { return new Date(iso).toISOString().replace('.000Z', 'Z') + ' (UTC)'; }

// A <time> element: local time shown, UTC on hover.
function timeEl(iso, withDate = true) {
  return el('time', {datetime: iso, title: utcTitle(iso)}, localTime(iso, withDate));
}

function grams(g) {
  if (g === null || g === undefined || Number.isNaN(g)) return '—';
  return Math.abs(g) >= 1000 ? (g / 1000).toFixed(2) + ' kg CO₂eq' : g.toFixed(0) + ' g CO₂eq';
}
const kwh = v => (v === null || v === undefined) ? '—' : v.toFixed(3) + ' kWh';
const intensity = v => (v === null || v === undefined) ? '—' : v.toFixed(0) + ' g CO₂eq/kWh';
const watts = v => (v === null || v === undefined) ? '—' : v.toFixed(0) + ' W';
const litres = v => (v === null || v === undefined) ? '—' : v.toFixed(2) + ' L';
const pct = v => (v === null || v === undefined) ? '—' : v.toFixed(1) + ' %';
function hoursOf(s) { return (s / 3600).toFixed(1) + ' h'; }

// ---- DOM helpers ------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : String(c));
  return e;
}

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

// A number with its unit, its raw value in data-value for tests and scripts.
function figure(field, value, format) {
  return el('span', {'data-field': field, 'data-value': value ?? ''}, format(value));
}

function table(headers, rows, attrs = {}) {
  const t = el('table', attrs);
  t.append(el('thead', {}, el('tr', {}, ...headers.map(h => el('th', {}, h)))));
  const body = el('tbody');
  for (const r of rows) body.append(r);
  t.append(body);
  return t;
}

function row(cells, attrs = {}) { return el('tr', attrs, ...cells.map(c => el('td', {}, c))); }

function showError(message) {
  const b = document.getElementById('error-banner');
  b.textContent = message || '';
  b.hidden = !message;
}

// ---- the shared time axis ---------------------------------------------------

const LABEL_W = 170, PLOT_RIGHT = 16;

function axis(width) {
  const from = ms(state.grid.from), to = ms(state.grid.to);
  const x0 = LABEL_W, x1 = width - PLOT_RIGHT;
  return {from, to, x0, x1, x: t => x0 + (Math.min(Math.max(t, from), to) - from) / (to - from) * (x1 - x0)};
}

function chartWidth(container) { return Math.max(640, container.clientWidth || 1000); }

// Hour ticks every 6 h in local time, with a UTC title.
function timeTicks(g, ax, top, bottom) {
  let t = Math.ceil(ax.from / 3600e3) * 3600e3;
  for (; t <= ax.to; t += 3600e3) {
    const d = new Date(t);
    if (d.getHours() % 6 !== 0) continue;
    const x = ax.x(t);
    g.append(svg('line', {x1: x, x2: x, y1: top, y2: bottom, class: 'tick'}));
    const label = d.getHours() === 0 ? localTime(d.toISOString()).slice(5, 10) : localTime(d.toISOString(), false);
    const text = svg('text', {x, y: bottom + 13, class: 'tick-label', 'text-anchor': 'middle'}, label);
    text.append(svg('title', {}, utcTitle(d.toISOString())));
    g.append(text);
  }
}

function nowLine(g, ax, top, bottom) {
  const x = ax.x(ms(state.now));
  const line = svg('line', {x1: x, x2: x, y1: top, y2: bottom, class: 'now-line', 'data-now': state.now});
  line.append(svg('title', {}, 'now: ' + localTime(state.now) + ' — ' + utcTitle(state.now)));
  g.append(line);
}

// ---- Grid view --------------------------------------------------------------

const LANE_H = 96, LANE_GAP = 18;

function renderGrid() {
  const container = document.getElementById('grid-chart');
  const width = chartWidth(container);
  const regions = state.grid.regions;
  const height = regions.length * (LANE_H + LANE_GAP) + 24;
  const ax = axis(width);
  const root = svg('svg', {width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
                            'aria-label': 'effective carbon intensity per region'});
  const notes = [];
  regions.forEach((region, i) => {
    const top = i * (LANE_H + LANE_GAP) + 4, bottom = top + LANE_H;
    const lane = svg('g', {class: 'grid-lane', 'data-region': region.region});
    const values = region.points.flatMap(p => [p.effective_g_per_kwh, p.high_effective_g_per_kwh])
        .filter(v => v !== null && v !== undefined);
    const vmax = Math.max(10, ...values) * 1.08;
    const y = v => bottom - v / vmax * (LANE_H - 6);
    lane.append(svg('rect', {x: ax.x0, y: top, width: ax.x1 - ax.x0, height: LANE_H, class: 'lane-bg'}));
    // The band ahead, as one polygon over the points that have one.
    const banded = region.points.filter(p => p.low_effective_g_per_kwh !== undefined &&
                                             p.low_effective_g_per_kwh !== null);
    if (banded.length) {
      const mid = p => ms(p.start) + 1800e3;
      const upper = banded.map(p => `${ax.x(mid(p))},${y(p.high_effective_g_per_kwh)}`);
      const lower = banded.slice().reverse().map(p => `${ax.x(mid(p))},${y(p.low_effective_g_per_kwh)}`);
      const band = svg('polygon', {points: upper.concat(lower).join(' '), class: 'band'});
      band.append(svg('title', {}, region.band_note));
      lane.append(band);
    }
    // The curve, one path per run of points of one kind and source (a gap
    // breaks it): styled by kind.
    let run = null;
    const flush = () => {
      if (run && run.pts.length) {
        const path = svg('polyline', {points: run.pts.join(' '), class: 'curve kind-' + run.kind,
                                      'data-kind': run.kind});
        path.append(svg('title', {}, `${run.kind}: ${run.source}`));
        lane.append(path);
      }
      run = null;
    };
    for (const p of region.points) {
      if (p.effective_g_per_kwh === null) { flush(); continue; }
      if (!run || run.kind !== p.kind || run.source !== p.source) {
        const last = run && run.pts.length ? run.pts[run.pts.length - 1] : null;
        flush();
        run = {kind: p.kind, source: p.source, pts: last ? [last] : []};
      }
      const t0 = ms(p.start), t1 = t0 + state.grid.step_s * 1000;
      run.pts.push(`${ax.x(t0)},${y(p.effective_g_per_kwh)}`, `${ax.x(t1)},${y(p.effective_g_per_kwh)}`);
    }
    flush();
    // Missing hours: a hatched block, never a zero.
    for (const p of region.points) {
      if (p.effective_g_per_kwh !== null) continue;
      const t0 = ms(p.start);
      lane.append(svg('rect', {x: ax.x(t0), y: top, width: ax.x(t0 + 3600e3) - ax.x(t0), height: LANE_H,
                               class: 'missing'}));
    }
    // The label: region, zone, PUE, and the value of the current hour.
    const current = region.points.find(p => ms(p.start) <= ms(state.now) && ms(state.now) < ms(p.start) + 3600e3);
    const label = svg('text', {x: 6, y: top + 16, class: 'lane-label'}, region.region);
    lane.append(label);
    lane.append(svg('text', {x: 6, y: top + 32, class: 'lane-sub'}, `${region.zone} · PUE ${region.pue}`));
    const nowValue = current ? current.effective_g_per_kwh : null;
    const nowText = svg('text', {x: 6, y: top + 50, class: 'now-value', 'data-field': 'effective_g_per_kwh',
                                 'data-value': nowValue ?? '', 'data-hour': current ? current.start : ''},
                          'now ' + intensity(nowValue));
    // The hover text on a group around it, so the label's own text stays the value alone.
    lane.append(svg('g', {}, nowText, svg('title', {}, current ? `${current.kind}: ${current.source}` : 'no value')));
    lane.append(svg('text', {x: ax.x0 + 4, y: top + 12, class: 'axis-label'}, `${vmax.toFixed(0)} g/kWh`));
    lane.append(svg('text', {x: ax.x0 + 4, y: bottom - 3, class: 'axis-label'}, '0'));
    root.append(lane);
    notes.push(`${region.region}: ${region.band_note}`);
  });
  const ticks = svg('g', {class: 'ticks'});
  timeTicks(ticks, ax, 4, height - 20);
  nowLine(ticks, ax, 4, height - 20);
  root.append(ticks);
  container.replaceChildren(root);
  const sources = new Set(regions.flatMap(r => r.points.map(p => `${p.kind}: ${p.source}`)));
  document.getElementById('grid-notes').replaceChildren(
      el('span', {}, 'Sources: ' + [...sources].join('; ') + '.'), el('br'), ...notes.flatMap(n => [n, el('br')]));
}

// ---- Queue view -------------------------------------------------------------

const QUEUE_LANE_H = 54, BAR_H = 14;

// What a job did, from its event history: [{start, end, region}] while
// running (end: now for the run in progress). Gaps between them are pauses.
function runSegments(detail) {
  const out = [];
  let open = null;
  for (const e of detail.events || []) {
    if (e.to === 'running' && !open) {
      open = {start: e.at, region: (e.detail && e.detail.region) || detail.region};
    } else if (e.to !== 'running' && open) {
      out.push({...open, end: e.at});
      open = null;
    }
  }
  if (open) out.push({...open, end: state.now});
  return out;
}

// What is planned and not yet past (for a paused job: what it was planned
// to do, until it is resumed and planned again).
function plannedSegments(detail) {
  if (!detail.plan || ENDED.has(detail.state)) return [];
  const now = ms(state.now);
  return (detail.plan.intervals || [])
      .filter(iv => ms(iv.end) > now)
      .map(iv => ({start: new Date(Math.max(ms(iv.start), now)).toISOString(), end: iv.end, region: iv.region}));
}

// The lane of a job: where it runs or ran, else where its plan puts it, else
// (not planned yet) its home region or the first region it allows.
function jobRegion(detail) {
  if (detail.region) return detail.region;
  const iv = detail.plan && detail.plan.intervals && detail.plan.intervals[0];
  if (iv) return iv.region;
  return detail.home_region || (detail.allowed_regions || [])[0] || 'local:host';
}

// A job that is waiting with no plan yet: the window it may run in, from its
// earliest start (or now) to its deadline.
function waitingWindow(detail) {
  if (ENDED.has(detail.state) || (detail.plan && (detail.plan.intervals || []).length)) return [];
  const start = Math.max(ms(detail.earliest_start), ms(state.now));
  return start < ms(detail.deadline) ? [{start: new Date(start).toISOString(), end: detail.deadline}] : [];
}

function renderQueue() {
  const container = document.getElementById('queue-chart');
  const width = chartWidth(container);
  const lanes = state.grid.regions.map(r => r.region);
  for (const d of state.details.values()) {
    const region = jobRegion(d);
    if (!lanes.includes(region)) lanes.push(region);
  }
  // Jobs share a lane in rows, so overlapping bars stay readable.
  const byLane = new Map(lanes.map(l => [l, []]));
  for (const j of state.jobs) {
    const d = state.details.get(j.id);
    if (d) byLane.get(jobRegion(d)).push(d);
  }
  const laneHeights = lanes.map(l => Math.max(QUEUE_LANE_H, byLane.get(l).length * (BAR_H + 6) + 12));
  const height = laneHeights.reduce((a, b) => a + b + 8, 0) + 24;
  const ax = axis(width);
  const root = svg('svg', {width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
                            'aria-label': 'jobs on the timeline per region'});
  let top = 4;
  lanes.forEach((region, i) => {
    const h = laneHeights[i];
    const lane = svg('g', {class: 'queue-lane', 'data-region': region});
    lane.append(svg('rect', {x: ax.x0, y: top, width: ax.x1 - ax.x0, height: h, class: 'lane-bg'}));
    lane.append(svg('text', {x: 6, y: top + 16, class: 'lane-label'}, region));
    lane.append(svg('text', {x: 6, y: top + 32, class: 'lane-sub'}, `${byLane.get(region).length} job(s)`));
    byLane.get(region).forEach((d, k) => {
      const y = top + 8 + k * (BAR_H + 6);
      const bar = svg('g', {class: 'job-bar state-' + d.state, 'data-job-id': d.id, 'data-state': d.state,
                            tabindex: 0, role: 'button'});
      bar.append(svg('title', {}, `${d.id} ${d.name} (${d.project}): ${d.state}; deadline ${localTime(d.deadline)}` +
                                      ` — ${utcTitle(d.deadline)}`));
      const runs = runSegments(d), planned = plannedSegments(d);
      for (const s of runs) {
        const x = ax.x(ms(s.start)), w = Math.max(2, ax.x(ms(s.end)) - x);
        bar.append(svg('rect', {x, y, width: w, height: BAR_H, rx: 3, class: 'run', 'data-start': s.start,
                                'data-end': s.end}));
      }
      for (const s of planned) {
        const x = ax.x(ms(s.start)), w = Math.max(2, ax.x(ms(s.end)) - x);
        bar.append(svg('rect', {x, y, width: w, height: BAR_H, rx: 3, class: 'planned', 'data-start': s.start,
                                'data-end': s.end}));
      }
      // The deadline: a tick with a flag.
      const xd = ax.x(ms(d.deadline));
      bar.append(svg('line', {x1: xd, x2: xd, y1: y - 3, y2: y + BAR_H + 3, class: 'deadline',
                              'data-deadline': d.deadline}));
      const windows = runs.length ? [] : waitingWindow(d);
      for (const s of windows) {
        const x = ax.x(ms(s.start)), w = Math.max(2, ax.x(ms(s.end)) - x);
        bar.append(svg('rect', {x, y: y + BAR_H / 2 - 3, width: w, height: 6, class: 'window', 'data-start': s.start,
                                'data-end': s.end}));
      }
      const first = [...runs, ...planned, ...windows].map(s => ax.x(ms(s.start)));
      const xl = first.length ? Math.min(...first) : xd;
      bar.append(svg('text', {x: Math.min(xl + 4, ax.x1 - 60), y: y + BAR_H - 3, class: 'bar-label'},
                     `${d.id} ${d.name}`));
      bar.addEventListener('click', () => openJob(d.id));
      bar.addEventListener('keydown', e => { if (e.key === 'Enter') openJob(d.id); });
      lane.append(bar);
    });
    root.append(lane);
    top += h + 8;
  });
  const ticks = svg('g', {class: 'ticks'});
  timeTicks(ticks, ax, 4, height - 20);
  nowLine(ticks, ax, 4, height - 20);
  root.append(ticks);
  container.replaceChildren(root);

  const rows = state.jobs.map(j => {
    const d = state.details.get(j.id) || j;
    const plan = d.plan || {};
    const r = row([j.id, j.name, j.project, el('span', {class: 'pill state-' + j.state}, j.state),
                   d.region || jobRegion(d), timeEl(j.deadline),
                   figure('expected_emissions_g', plan.expected_emissions_g, grams),
                   figure('saving_g', plan.saving_g, grams)],
                  {'data-job-id': j.id, 'data-state': j.state, tabindex: 0});
    r.addEventListener('click', () => openJob(j.id));
    return r;
  });
  document.querySelector('#job-table tbody').replaceChildren(...rows);
}

// ---- Job view ---------------------------------------------------------------

async function openJob(id) {
  state.openJob = id;
  const view = document.getElementById('job-view');
  view.hidden = false;
  view.setAttribute('data-job-id', id);
  await renderJob();
  view.scrollIntoView({behavior: 'smooth', block: 'start'});
}

async function act(id, action) {
  if (!token()) { showError('pause, resume and cancel need the API token: paste it above'); return; }
  const r = await api(`/v1/jobs/${encodeURIComponent(id)}:${action}`, 'POST');
  showError(r.status === 200 ? '' : `${action} ${id}: ${r.body.error || 'HTTP ' + r.status}`);
  await refresh();
}

async function renderJob() {
  const id = state.openJob;
  if (!id) return;
  const [detail, samples, audit] = await Promise.all([
    api(`/v1/jobs/${encodeURIComponent(id)}`),
    api(`/v1/jobs/${encodeURIComponent(id)}/samples`),
    api(`/v1/jobs/${encodeURIComponent(id)}/audit`)]);
  if (state.openJob !== id) return;
  const view = document.getElementById('job-view');
  if (detail.status !== 200) {
    document.getElementById('job-plan').replaceChildren(el('p', {class: 'error'}, detail.body.error || 'not found'));
    return;
  }
  const d = detail.body;
  view.setAttribute('data-state', d.state);
  document.getElementById('job-title').replaceChildren(
      `${d.id} ${d.name} `, el('span', {class: 'pill state-' + d.state, id: 'job-state'}, d.state),
      el('span', {class: 'muted'}, ` project ${d.project} · ${d.region || jobRegion(d)} · ` +
                                   `${hoursOf(d.duration_s)} at ${watts(d.power_w)} · deadline `),
      timeEl(d.deadline));
  const actions = [];
  if (d.state === 'running' || d.state === 'queued') actions.push('pause');
  if (d.state === 'paused') actions.push('resume');
  if (!ENDED.has(d.state)) actions.push('cancel');
  document.getElementById('job-actions').replaceChildren(...actions.map(a => {
    const b = el('button', {type: 'button', 'data-action': a}, a);
    b.addEventListener('click', () => act(d.id, a));
    return b;
  }));

  // The plan.
  const plan = d.plan;
  const planEl = document.getElementById('job-plan');
  if (!plan) {
    planEl.replaceChildren(el('p', {class: 'muted', id: 'no-plan'},
                              'no plan yet: it may run any time from its earliest start ', timeEl(d.earliest_start),
                              ' to its deadline'));
  } else {
    const ivs = (plan.intervals || []).map(iv => row([
      iv.region, timeEl(iv.start), timeEl(iv.end), intensity(iv.mean_intensity_g_per_kwh), kwh(iv.energy_kwh),
      grams(iv.emissions_g), `${iv.kind}: ${iv.source}`], {class: 'plan-interval'}));
    const runNow = plan.run_now || {};
    planEl.replaceChildren(
        el('p', {}, `version ${plan.version}: expected `, figure('expected_emissions_g', plan.expected_emissions_g, grams),
           ' and ', figure('expected_energy_kwh', plan.expected_energy_kwh, kwh), '; running at once in ',
           runNow.region || '—', ' would emit ', figure('run_now_emissions_g', runNow.emissions_g, grams),
           ': saving ', figure('saving_g', plan.saving_g, grams), ' (', pct(plan.saving_pct), ')'),
        table(['region', 'start', 'end', 'mean intensity', 'energy', 'emissions', 'data'], ivs, {id: 'plan-table'}),
        ...(plan.notes || []).map(n => el('p', {class: 'notes'}, n)));
  }
  // The state history.
  const events = (d.events || []).map(e => row([timeEl(e.at), `${e.from || '—'} → ${e.to}`, e.paused_by || '',
                                                 e.reason], {'data-to': e.to}));
  document.getElementById('job-events').replaceChildren(
      table(['at', 'state', 'paused by', 'reason'], events, {id: 'events-table'}));
  // Power and audit: other parts of the daemon that may not exist yet.
  renderPower(samples, d);
  renderAudit(audit);
}

function notYet(what, r) {
  if (r.status === 404) return el('p', {class: 'muted not-available'}, `${what}: not available yet`);
  return el('p', {class: 'error'}, `${what}: ${(r.body && r.body.error) || 'HTTP ' + r.status}`);
}

function renderPower(r, d) {
  const target = document.getElementById('job-power');
  if (r.status !== 200) { target.replaceChildren(notYet('power samples', r)); return; }
  const samples = Array.isArray(r.body) ? r.body : (r.body.samples || []);
  if (!samples.length) {
    target.replaceChildren(el('p', {class: 'muted'}, d.state === 'queued' ? 'not started yet' : 'no samples'));
    return;
  }
  const total = s => (s.cpu_w || 0) + (s.gpu_w || 0) + (s.ram_w || 0);
  const width = 460, height = 140, left = 48, right = 8, top = 8, bottom = 22;
  const t0 = ms(samples[0].at), t1 = Math.max(ms(samples[samples.length - 1].at), t0 + 1);
  const vmax = Math.max(1, ...samples.map(total)) * 1.1;
  const x = t => left + (ms(t) - t0) / (t1 - t0) * (width - left - right);
  const y = v => height - bottom - v / vmax * (height - top - bottom);
  const chart = svg('svg', {width, height, viewBox: `0 0 ${width} ${height}`, id: 'power-chart'});
  for (const [key, cls] of [['total', 'power-total'], ['cpu_w', 'power-cpu'], ['gpu_w', 'power-gpu'],
                            ['ram_w', 'power-ram']]) {
    const pts = samples.map(s => `${x(s.at)},${y(key === 'total' ? total(s) : (s[key] || 0))}`).join(' ');
    chart.append(svg('polyline', {points: pts, class: cls}));
  }
  chart.append(svg('text', {x: 2, y: top + 8, class: 'axis-label'}, `${vmax.toFixed(0)} W`));
  chart.append(svg('text', {x: 2, y: height - bottom, class: 'axis-label'}, '0 W'));
  const last = samples[samples.length - 1];
  target.replaceChildren(chart, el('p', {}, 'last sample ', timeEl(last.at), ': ',
      figure('power_w', total(last), watts), ` (CPU ${watts(last.cpu_w)}, GPU ${watts(last.gpu_w)}, ` +
      `RAM ${watts(last.ram_w)}; total, CPU, GPU and RAM lines)`));
}

function renderAudit(r) {
  const target = document.getElementById('job-audit');
  if (r.status !== 200) { target.replaceChildren(notYet('audit', r)); return; }
  const a = r.body;
  const e = a.energy || {};
  const m = e.methods || {};
  const cf = a.counterfactual || {};
  const dl = el('dl', {id: 'audit-figures'},
      el('dt', {}, 'emissions (metered)'), el('dd', {}, figure('emissions_g', a.emissions_g, grams)),
      el('dt', {}, 'planned'), el('dd', {}, figure('planned_emissions_g', a.planned_emissions_g, grams)),
      el('dt', {}, 'energy'), el('dd', {}, figure('energy_kwh', a.energy_kwh, kwh),
                                 ` (CPU ${kwh(e.cpu_kwh)} by ${m.cpu || '?'}, GPU ${kwh(e.gpu_kwh)} by ` +
                                 `${m.gpu || '?'}, RAM ${kwh(e.ram_kwh)} by ${m.ram || '?'}; IT ${kwh(e.it_kwh)} × ` +
                                 `PUE ${e.pue ?? '?'} = ${kwh(e.facility_kwh)})`),
      el('dt', {}, 'run-now counterfactual'),
      el('dd', {}, figure('counterfactual_emissions_g', cf.emissions_g, grams), ` in ${cf.region || '—'} from `,
         cf.start ? timeEl(cf.start) : '—'),
      el('dt', {}, 'saving'), el('dd', {}, figure('audit_saving_g', a.saving_g, grams), ` (${pct(a.saving_pct)})`),
      el('dt', {}, 'water'), el('dd', {}, figure('water_l', a.water_l, litres)));
  const ivs = (a.intervals || []).map(iv => row([
    iv.region, timeEl(iv.start), timeEl(iv.end), kwh(iv.energy_kwh), intensity(iv.intensity_g_per_kwh),
    intensity(iv.forecast_g_per_kwh), grams(iv.emissions_g), `${iv.intensity_kind}: ${iv.intensity_source}`]));
  target.replaceChildren(dl,
      table(['region', 'start', 'end', 'energy', 'intensity', 'planned on', 'emissions', 'data'], ivs,
            {id: 'audit-table'}),
      ...(a.notes || []).map(n => el('p', {class: 'notes'}, n)));
}

// ---- Totals -----------------------------------------------------------------

// Start of the week (Monday 00:00 UTC) and of the month (the 1st, UTC) of the
// daemon's now: the report's months are UTC months.
function periodStarts() {
  const now = new Date(state.now);
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const week = day - ((now.getUTCDay() + 6) % 7) * 86400e3;
  const month = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  return {week, month, monthKey: now.toISOString().slice(0, 7)};
}

// Sums of each job's plan figures by project, for jobs submitted since
// `since` (ms); cancelled jobs left out (their plan never ran in full).
function plannedTotals(since) {
  const out = new Map();
  for (const j of state.jobs) {
    const d = state.details.get(j.id);
    if (!d || !d.plan || j.state === 'cancelled' || ms(j.created_at) < since) continue;
    const t = out.get(j.project) || {jobs: 0, energy_kwh: 0, emissions_g: 0, saving_g: 0};
    t.jobs += 1;
    t.energy_kwh += d.plan.expected_energy_kwh || 0;
    t.emissions_g += d.plan.expected_emissions_g || 0;
    t.saving_g += d.plan.saving_g || 0;
    out.set(j.project, t);
  }
  return out;
}

function reportTotals(rows, monthKey) {
  const out = new Map();
  for (const r of rows) {
    if (r.month !== monthKey) continue;
    const t = out.get(r.project) || {jobs: 0, energy_kwh: 0, emissions_g: 0, saving_g: 0};
    t.jobs += r.jobs || 0;
    t.energy_kwh += r.energy_kwh || 0;
    t.emissions_g += r.emissions_g || 0;
    t.saving_g += r.saving_g || 0;
    out.set(r.project, t);
  }
  return out;
}

function totalsTable(period, label, totals, source) {
  const rows = [];
  const all = {jobs: 0, energy_kwh: 0, emissions_g: 0, saving_g: 0};
  const projects = [...totals.keys()].sort();
  for (const p of projects) {
    const t = totals.get(p);
    for (const k of Object.keys(all)) all[k] += t[k];
    rows.push(totalsRow(period, p, t));
  }
  rows.push(totalsRow(period, '(all)', all));
  return el('div', {class: 'totals-period', 'data-period': period, 'data-source': source},
            el('h3', {}, label, el('span', {class: 'muted'}, ` — ${source}`)),
            table(['project', 'jobs', 'energy', 'emissions', 'saving vs run-now'], rows));
}

function totalsRow(period, project, t) {
  return el('tr', {'data-project': project, 'data-period': period},
            el('td', {}, project), el('td', {}, figure('jobs', t.jobs, v => String(v))),
            el('td', {}, figure('energy_kwh', t.energy_kwh, kwh)),
            el('td', {}, figure('emissions_g', t.emissions_g, grams)),
            el('td', {}, figure('saving_g', t.saving_g, grams)));
}

async function renderTotals() {
  const {week, month, monthKey} = periodStarts();
  const report = await api('/v1/report');
  const planned = 'planned: the sum of each job\'s plan (GET /v1/jobs/{id}), cancelled jobs left out';
  const parts = [totalsTable('week', 'This week (since Monday 00:00 UTC)', plannedTotals(week), planned)];
  let source;
  if (report.status === 200 && report.body && Array.isArray(report.body.rows)) {
    parts.push(totalsTable('month', `This month (${monthKey}, UTC)`, reportTotals(report.body.rows, monthKey),
                           'metered: GET /v1/report'));
    source = 'This month from the metered report (GET /v1/report); this week from the jobs\' plans.';
  } else {
    parts.push(totalsTable('month', `This month (${monthKey}, UTC)`, plannedTotals(month), planned));
    source = 'GET /v1/report is not available' + (report.status === 404 ? ' yet' : ` (HTTP ${report.status})`) +
             ': every figure is planned, summed from the jobs\' plans.';
  }
  const totals = document.getElementById('totals');
  totals.setAttribute('data-report', report.status === 200 ? 'metered' : 'planned');
  document.getElementById('totals-source').textContent = source;
  totals.replaceChildren(...parts);
}

// ---- the loop -----------------------------------------------------------------

async function refresh() {
  const [health, grid, jobs] = await Promise.all([api('/v1/healthz'), api('/v1/grid?hours_back=24&hours_ahead=48'),
                                                  api('/v1/jobs')]);
  if (grid.status !== 200 || jobs.status !== 200) {
    const bad = grid.status !== 200 ? grid : jobs;
    showError((bad.status === 401 ? 'reads need the API token here: paste it above. ' : '') +
              ((bad.body && bad.body.error) || 'HTTP ' + bad.status));
    return;
  }
  showError('');
  state.grid = grid.body;
  state.now = grid.body.now;
  state.jobs = jobs.body.jobs.slice(-200);
  const details = await Promise.all(state.jobs.map(j => api(`/v1/jobs/${encodeURIComponent(j.id)}`)));
  state.details = new Map();
  details.forEach((r, i) => { if (r.status === 200) state.details.set(state.jobs[i].id, r.body); });
  const status = document.getElementById('daemon-status');
  if (health.status === 200) {
    const h = health.body;
    status.replaceChildren(`daemon ${h.version} · now `, timeEl(h.now),
                           h.clock_speed > 1 ? ` · clock ×${h.clock_speed}` : '', ` · ${state.jobs.length} job(s)`);
  }
  renderGrid();
  renderQueue();
  await renderTotals();
  await renderJob();
  document.body.setAttribute('data-loaded', 'true');
  // How many refreshes have completed: a test waits on it to know the page
  // has read the API after some moment.
  state.refreshes = (state.refreshes || 0) + 1;
  document.body.setAttribute('data-refreshes', state.refreshes);
}

function setup() {
  document.getElementById('token-form').addEventListener('submit', e => {
    e.preventDefault();
    const input = document.getElementById('token-input');
    if (input.value.trim()) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    input.value = '';
    input.placeholder = 'token set for this tab';
    refresh();
  });
  document.getElementById('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    document.getElementById('token-input').placeholder = 'paste the daemon\'s token';
  });
  if (token()) document.getElementById('token-input').placeholder = 'token set for this tab';
  document.getElementById('job-close').addEventListener('click', () => {
    state.openJob = null;
    document.getElementById('job-view').hidden = true;
  });
  const loop = async () => {
    await refresh();
    setTimeout(loop, REFRESH_MS);
  };
  window.addEventListener('resize', () => { if (state.grid) { renderGrid(); renderQueue(); } });
  loop();
}

setup();
