// The regulator's and operator's dashboard: GET /api/figures for the chosen period and city, drawn as tiles, charts
// and a merchant table, asked again every few seconds while the page is visible. A light poll rather than the hub:
// the hub feeds follow one dispute or one party, and a regulator is neither; one small request every few seconds per
// open dashboard costs less than following every merchant of a city.
import { api, ApiError, signedIn, formatMoney, words, el } from '/js/api.js';

const PollMilliseconds = 3000;
const HangzhouPilotRate = 0.85;

const $ = id => document.getElementById(id);
const figure = name => document.querySelector(`[data-figure="${name}"]`);
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const number = new Intl.NumberFormat(undefined);
const rating = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

const who = signedIn();
$('who').textContent = who ? `Signed in as ${who.userId} (${who.role})` : 'Not signed in';

// ---- the period: local calendar days, [from 00:00, day after "to" 00:00) ----
const isoDay = d => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const localDay = text => { const [y, m, d] = text.split('-').map(Number); return new Date(y, m - 1, d); };

function setPeriod(days) {
  const today = new Date();
  const start = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
  $('from').value = isoDay(start);
  $('to').value = isoDay(today);
}

const params = new URLSearchParams(location.search);
if (params.get('from') && params.get('to')) { $('from').value = params.get('from'); $('to').value = params.get('to'); }
else setPeriod(30);
// A bookmarked city is offered even before any of its disputes comes back.
const cityChoice = $('city');
if (params.get('city')) { cityChoice.append(el('option', { value: params.get('city'), text: params.get('city') })); cityChoice.value = params.get('city'); }

function query() {
  const from = localDay($('from').value);
  const to = localDay($('to').value);
  to.setDate(to.getDate() + 1);
  const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
  if ($('city').value) q.set('city', $('city').value);
  return q;
}

// ---- formatting ----
/** A .NET TimeSpan on the wire ("1.02:03:04.5") as "1 d 2 h", "2 h 03 min" or "4 min". */
function duration(text) {
  if (text === null || text === undefined) return '–';
  const m = /^(-)?(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.\d+)?$/.exec(text);
  if (!m) return String(text);
  const d = Number(m[2] ?? 0), h = Number(m[3]), min = Number(m[4]), s = Number(m[5]);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${String(min).padStart(2, '0')} min`;
  if (min > 0) return `${min} min`;
  return `${s} s`;
}
const rate = r => (r === null || r === undefined ? '–' : percent.format(r));

// ---- charts (chart.js, loaded as a classic script defining window.Chart) ----
const palette = { opened: '#1463d8', settled: '#177245', escalated: '#a35a00', ruled: '#6b3fa0', rate: '#b3261e' };
const categoryColours = ['#1463d8', '#177245', '#a35a00', '#6b3fa0', '#b3261e', '#00838f', '#5c6577', '#c2185b'];
const common = { responsive: true, maintainAspectRatio: false, animation: false };
const charts = {};

function makeCharts() {
  if (!window.Chart) return false;
  charts.daily = new Chart($('chart-daily'), {
    type: 'line',
    data: { labels: [], datasets: [
      { label: 'Opened', data: [], borderColor: palette.opened, backgroundColor: palette.opened, tension: .2 },
      { label: 'Settled by the parties', data: [], borderColor: palette.settled, backgroundColor: palette.settled, tension: .2 },
      { label: 'Escalated', data: [], borderColor: palette.escalated, backgroundColor: palette.escalated, tension: .2 },
    ] },
    options: { ...common, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  charts.outcomes = new Chart($('chart-outcomes'), {
    type: 'bar',
    data: { labels: ['Opened', 'Settled by the parties', 'Escalated', 'Ruled'],
      datasets: [{ label: 'Disputes', data: [0, 0, 0, 0], backgroundColor: [palette.opened, palette.settled, palette.escalated, palette.ruled] }] },
    options: { ...common, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  charts.categories = new Chart($('chart-categories'), {
    type: 'doughnut',
    data: { labels: [], datasets: [{ data: [], backgroundColor: categoryColours }] },
    options: { ...common, plugins: { legend: { position: matchMedia('(min-width: 760px)').matches ? 'right' : 'bottom' } } },
  });
  charts.cities = new Chart($('chart-cities'), {
    type: 'bar',
    data: { labels: [], datasets: [
      { label: 'Opened', data: [], backgroundColor: palette.opened, yAxisID: 'y' },
      { label: 'Resolved by the parties (%)', data: [], backgroundColor: palette.settled, yAxisID: 'rate' },
    ] },
    options: { ...common, scales: {
      y: { beginAtZero: true, ticks: { precision: 0 }, position: 'left' },
      rate: { beginAtZero: true, max: 100, position: 'right', grid: { drawOnChartArea: false } },
    } },
  });
  return true;
}

function drawCharts(f) {
  if (!charts.daily) return;
  const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  charts.daily.data.labels = f.daily.map(d => dayLabel.format(new Date(`${d.day}T00:00:00Z`)));
  charts.daily.data.datasets[0].data = f.daily.map(d => d.opened);
  charts.daily.data.datasets[1].data = f.daily.map(d => d.settledByParties);
  charts.daily.data.datasets[2].data = f.daily.map(d => d.escalated);
  charts.outcomes.data.datasets[0].data = [f.totals.opened, f.totals.settledByParties, f.totals.escalated, f.totals.ruled];
  charts.categories.data.labels = f.topCategories.map(c => words(c.category));
  charts.categories.data.datasets[0].data = f.topCategories.map(c => c.disputes);
  charts.cities.data.labels = f.cities.map(c => c.city || 'unknown');
  charts.cities.data.datasets[0].data = f.cities.map(c => c.totals.opened);
  charts.cities.data.datasets[1].data = f.cities.map(c => c.totals.resolutionRateByParties === null ? null : Math.round(c.totals.resolutionRateByParties * 1000) / 10);
  for (const chart of Object.values(charts)) chart.update('none');
}

// ---- tiles and table ----
function drawTotals(t) {
  figure('opened').textContent = number.format(t.opened);
  figure('settled').textContent = number.format(t.settledByParties);
  figure('escalated').textContent = number.format(t.escalated);
  figure('ruled').textContent = number.format(t.ruled);
  figure('rate').textContent = rate(t.resolutionRateByParties);
  figure('rate-note').textContent = t.resolutionRateByParties === null
    ? 'no negotiation over yet'
    : `of ${number.format(t.negotiationOver)} whose negotiation is over · Hangzhou pilot ${percent.format(HangzhouPilotRate)}`;
  figure('first-response').textContent = duration(t.medianFirstResponse);
  figure('breaches').textContent = number.format(t.deadlineBreaches);
  figure('breaches-note').textContent = `${number.format(t.missedFirstResponses)} first answers late · ${number.format(t.remediesNotCarriedOut)} remedies not carried out`;
  figure('paid').textContent = formatMoney(t.compensationPaid);
  figure('recovered').textContent = formatMoney(t.compensationRecovered);
  figure('rating').textContent = t.averageRating === null ? '–' : `${rating.format(t.averageRating)} / 5`;
}

function drawMerchants(merchants) {
  const rows = merchants.map(m => el('tr', { class: m.flagged ? 'flagged' : null, 'data-merchant': m.merchantId },
    el('th', { scope: 'row' }, m.merchantId, m.flagged ? ' ' : null, m.flagged ? el('span', { class: 'badge bad', text: 'flagged' }) : null),
    el('td', { text: m.city ?? '' }),
    el('td', { class: 'num', text: number.format(m.totals.opened) }),
    el('td', { class: 'num', text: number.format(m.totals.settledByParties) }),
    el('td', { class: 'num', text: number.format(m.totals.escalated) }),
    el('td', { class: 'num', text: rate(m.totals.resolutionRateByParties) }),
    el('td', { class: 'num', text: duration(m.totals.medianFirstResponse) }),
    el('td', { class: 'num', text: number.format(m.totals.deadlineBreaches) }),
    el('td', { class: 'num', text: `${m.score} / 100` })));
  if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: 9, class: 'muted', text: 'No disputes in this period.' })));
  $('merchants').tBodies[0].replaceChildren(...rows);
}

/** The city list keeps every city seen, so choosing one does not make the others disappear. */
const citiesSeen = new Set(params.get('city') ? [params.get('city')] : []);
function drawCityChoices(cities) {
  let added = false;
  for (const c of cities) if (c.city && !citiesSeen.has(c.city)) { citiesSeen.add(c.city); added = true; }
  if (!added) return;
  const select = $('city');
  const chosen = select.value;
  select.replaceChildren(el('option', { value: '', text: 'All cities' }),
    ...[...citiesSeen].sort().map(c => el('option', { value: c, text: c })));
  select.value = chosen;
}

// ---- asking ----
let asking = null;
let generation = 0;

async function refresh() {
  if (asking) return asking;
  const mine = generation;
  asking = (async () => {
    try {
      const f = await api.get(`/api/figures?${query()}`);
      if (mine !== generation) return; // the filters changed meanwhile: a newer answer is coming
      $('error').textContent = '';
      drawTotals(f.totals);
      drawCharts(f);
      drawMerchants(f.merchants);
      if (!$('city').value) drawCityChoices(f.cities);
      $('status').textContent = `Updated ${new Date(f.computedAt).toLocaleTimeString()} · refreshes every ${PollMilliseconds / 1000} s`;
    } catch (e) {
      $('error').textContent = e instanceof ApiError ? e.message : String(e);
    } finally {
      asking = null;
    }
  })();
  return asking;
}

async function filtersChanged() {
  generation++;
  if (asking) await asking;
  await refresh();
}

$('filters').addEventListener('change', filtersChanged);
$('filters').addEventListener('submit', e => { e.preventDefault(); filtersChanged(); });
for (const button of document.querySelectorAll('[data-days]'))
  button.addEventListener('click', () => { setPeriod(Number(button.dataset.days)); filtersChanged(); });

makeCharts();
await refresh();
setInterval(() => { if (document.visibilityState === 'visible') refresh(); }, PollMilliseconds);
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') refresh(); });
