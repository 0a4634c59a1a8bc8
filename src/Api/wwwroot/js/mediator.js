// The mediator desk: the city's queue and my cases, live over the hub; the case on one page with everything a
// mediator works from; message both parties, request evidence, propose, rule.
import { signedIn, getJson, putJson, connectHub } from './desk-kit.js';
import { show, money, when, word, deadlineName, countdown, eventItem, el } from './timeline.js';

const me = signedIn('mediator');
const $ = id => document.getElementById(id);

const remedies = ['FullRefund', 'PartialRefund', 'ReturnAndRefund', 'Exchange', 'Repair', 'Compensation', 'ReturnShippingCompensation'];
const categories = ['Quality', 'Defect', 'Counterfeit', 'DamagedInTransport', 'NotAsDescribed', 'NotDelivered', 'PriceOrFee', 'Service'];
const responsibilities = ['Merchant', 'Logistics', 'Consumer', 'Shared'];

let hub = null;
let city = null;
let current = null; // the case on the page

// ---------- the queue ----------

function renderQueue(q) {
  city = q.city;
  $('who').textContent = `Mediator ${me.userId} · ${q.city}`;
  $('available').checked = q.available;
  renderCases(q.myCases, q.waiting);
}

function onQueueChanged(news) {
  const mine = news.cases.filter(c => c.mediatorId === me.userId).sort((a, b) => Date.parse(a.assignedAt) - Date.parse(b.assignedAt));
  // The desk's order: prioritised (forwarded) complaints first, then the oldest escalation.
  const waiting = news.cases.filter(c => !c.mediatorId)
    .sort((a, b) => (b.priority === true) - (a.priority === true) || Date.parse(a.escalatedAt) - Date.parse(b.escalatedAt));
  renderCases(mine, waiting);
}

function renderCases(mine, waiting) {
  $('mine-count').textContent = `(${mine.length})`;
  $('queue-count').textContent = `(${waiting.length})`;
  $('no-cases').hidden = mine.length > 0;
  $('no-waiting').hidden = waiting.length > 0;
  show($('my-cases'), ...mine.map(c => el('li', { class: `case-row${current?.id === c.disputeId ? ' active' : ''}`, 'data-dispute-id': c.disputeId },
    el('button', { type: 'button', class: 'row-open', onclick: () => openCase(c.disputeId) },
      el('span', { class: 'row-title', text: c.disputeId }),
      el('span', { class: 'row-meta', text: `escalated ${when(c.escalatedAt)} · assigned ${when(c.assignedAt)}` })))));
  show($('waiting'), ...waiting.map(c => el('li', { class: 'case-row waiting', 'data-dispute-id': c.disputeId },
    el('span', { class: 'row-title', text: c.disputeId }),
    el('span', { class: 'row-meta', text: `${c.priority ? 'prioritised · ' : ''}waiting since ${when(c.escalatedAt)}` }))));
}

async function setAvailable(available) {
  try { renderQueue(await putJson(`/api/mediators/${encodeURIComponent(me.userId)}/availability`, { available })); }
  catch (e) { showProblem(e); $('available').checked = !available; }
}

// ---------- the case ----------

async function openCase(id) {
  if (current?.id === id) return;
  if (current && hub) hub.invoke('LeaveDispute', current.id).catch(() => {});
  current = { id, file: null, events: new Map(), lastSeq: 0 };
  for (const li of document.querySelectorAll('#my-cases .case-row')) li.classList.toggle('active', li.dataset.disputeId === id);
  buildCase(current);
  await refreshFile(current);
  await hub.invoke('JoinDispute', id, 0);
}

function buildCase(c) {
  const id = c.id;
  c.head = el('header', { class: 'case-head' });
  c.order = el('section', { class: 'case-order', 'aria-label': 'Order and claim' });
  c.offers = el('section', { class: 'last-offers', 'aria-label': "Both parties' last offers" });
  c.standing = el('section', { class: 'standing', 'aria-label': 'Merchant standing' });
  c.evidence = el('ul', { class: 'evidence', 'aria-label': 'Evidence' });
  c.noEvidence = el('p', { class: 'hint', text: 'No evidence yet.' });
  c.timeline = el('ol', { class: 'timeline', 'aria-label': 'Timeline', 'aria-live': 'polite' });
  c.typing = el('p', { class: 'typing', hidden: true });
  c.error = el('p', { class: 'error', role: 'alert' });
  c.actions = el('section', { class: 'mediator-actions', 'aria-label': 'Actions' });
  show($('case'), 
    c.head,
    el('div', { class: 'case-grid' },
      el('div', { class: 'case-main' }, c.order, c.offers,
        el('h3', { text: 'Evidence' }), c.evidence, c.noEvidence,
        el('h3', { text: 'Timeline' }), c.timeline, c.typing),
      el('div', { class: 'case-side' }, c.standing, c.error, c.actions)));
  c.id = id;
}

async function refreshFile(c) {
  const file = await getJson(`/api/disputes/${encodeURIComponent(c.id)}/case-file`);
  if (current !== c) return;
  c.file = file;
  renderFile(c);
}
function scheduleFile(c) {
  clearTimeout(c.fileTimer);
  c.fileTimer = setTimeout(() => refreshFile(c).catch(e => { c.error.textContent = message(e); }), 150);
}

const cur = c => c.file?.dispute?.order?.currency ?? 'CNY';
const can = (c, action) => c.file?.dispute?.allowedActions?.includes(action);

function renderFile(c) {
  const f = c.file, v = f.dispute, o = v.order;
  const d = v.deadlines ?? {};
  const running = ['EvidenceDueBy', 'MediationEndsAt'].map(k => [k, d[k[0].toLowerCase() + k.slice(1)]]).filter(([, at]) => at);
  show(c.head, 
    el('h2', { text: `Case ${v.disputeId}` }),
    el('p', { class: `state state-${v.state}`, 'data-state': v.state, text: word(v.state) }),
    ...running.map(([k, at]) => el('p', { class: 'deadline', 'data-deadline': at },
      el('span', { class: 'deadline-kind', text: `${deadlineName(k)}: ${when(at)} — ` }), el('span', { class: 'countdown', text: countdown(at) }))),
    el('a', { class: 'print', href: `/api/disputes/${encodeURIComponent(v.disputeId)}/case-file?format=html`, target: '_blank', rel: 'noopener', text: 'Printable case file' }));
  show(c.order, 
    el('h3', { text: 'Order' }),
    el('p', { text: `${o.storeName} (${o.merchantId}), ${o.city} · order ${o.orderId} · ${money(o.total, o.currency)} paid ${when(o.paidAt)} via ${o.paymentChannel}${o.guaranteed ? ' · guaranteed' : ''}` }),
    el('ul', { class: 'items' }, ...o.items.map(i => el('li', { text: `${i.quantity} × ${i.name}${i.spec ? ` (${i.spec})` : ''} at ${money(i.price, o.currency)}` }))),
    el('h3', { text: 'Claim' }),
    el('p', { class: 'claim', text: `Consumer ${v.consumerId}: ${word(v.category)}, asks for ${word(v.requestedRemedy)} ${money(v.claimedAmount, o.currency)} — ${v.description}` }),
    v.outcome ? el('p', { class: 'outcome', text: `Outcome (${v.outcome.source}): ${word(v.outcome.remedy)} ${money(v.outcome.amount, o.currency)}${v.outcome.returnFirst ? ', goods back first' : ''}` }) : null);
  renderOffers(c);
  renderStanding(c, f.merchantStanding);
  show(c.evidence);
  for (const e of f.evidence ?? []) addEvidence(c, e);
  renderActions(c);
}

function renderOffers(c) {
  // The consumer's claim (on Opened) is its first offer.
  const offers = [...c.events.values(), ...(c.file?.offers ?? []), ...(c.file?.timeline ?? []).filter(e => e.type === 'Opened')]
    .filter(e => e.type === 'Offer' || e.type === 'Proposal' || (e.type === 'Opened' && e.remedy));
  const last = role => offers.filter(e => e.authorRole === role).sort((a, b) => b.seq - a.seq)[0];
  const line = (label, e) => el('p', { class: `last-offer by-${label.toLowerCase()}` },
    el('strong', { text: `${label}: ` }), el('span', { text: e ? `${word(e.remedy)} ${money(e.amount, cur(c))}${e.returnFirst ? ', goods back first' : ''} (${when(e.at)})` : 'no offer' }));
  show(c.offers, el('h3', { text: 'Last offers' }), line('Consumer', last('consumer')), line('Merchant', last('merchant')),
    last('mediator') ? line('Mediator', last('mediator')) : null);
}

function renderStanding(c, s) {
  if (!s) { show(c.standing); return; }
  const rate = s.resolutionRateByParties === null || s.resolutionRateByParties === undefined ? '—' : `${Math.round(s.resolutionRateByParties * 100)} %`;
  show(c.standing, el('h3', { text: 'Merchant standing' }),
    el('p', { class: `score${s.flagged ? ' flagged' : ''}` }, el('strong', { text: String(s.score) }), el('span', { text: ' / 100' }),
      el('span', { class: `badge${s.verified ? ' verified' : ''}`, text: s.verified ? 'Verified' : 'Not verified' }),
      s.flagged ? el('span', { class: 'badge flagged', text: 'Flagged' }) : null),
    el('dl', {},
      el('dt', { text: 'Disputes' }), el('dd', { text: String(s.disputes) }),
      el('dt', { text: 'Settled by the parties' }), el('dd', { text: rate }),
      el('dt', { text: 'Rulings against' }), el('dd', { text: String(s.rulingsAgainst) }),
      el('dt', { text: 'Unpaid claims' }), el('dd', { text: String(s.unpaidClaims) })));
}

function addEvidence(c, info) {
  if (c.evidence.querySelector(`[data-evidence-id="${CSS.escape(info.evidenceId)}"]`)) return;
  c.noEvidence.hidden = true;
  const base = `/api/disputes/${encodeURIComponent(c.id)}/evidence/${encodeURIComponent(info.evidenceId)}`;
  const label = `${info.kind} from the ${info.uploaderRole}, ${Math.ceil(info.size / 1024)} KB`;
  c.evidence.append(el('li', { 'data-evidence-id': info.evidenceId },
    el('a', { href: base, target: '_blank', rel: 'noopener' },
      info.hasThumbnail ? el('img', { src: `${base}/thumbnail`, alt: label, loading: 'lazy', width: 160 }) : el('span', { class: 'file', text: info.kind })),
    el('span', { class: 'caption', text: label }),
    el('code', { class: 'hash', title: 'SHA-256', text: info.sha256?.slice(0, 12) ?? '' })));
}

function field(id, label, control) {
  control.id = id;
  return el('p', { class: 'field' }, el('label', { for: id, text: label }), control);
}
const select = (values, selected) => el('select', {}, ...values.map(v => el('option', { value: v, text: word(v), selected: v === selected })));

function renderActions(c) {
  const v = c.file.dispute, id = c.id, currency = cur(c);
  // Rebuilt only when what the mediator may do changes, so that a refresh never wipes a half-written form.
  const key = JSON.stringify([v.state, v.allowedActions]);
  if (c.actionsKey === key) return;
  c.actionsKey = key;
  const forms = [];
  if (can(c, 'SendMessage')) {
    const text = el('textarea', { rows: 3, maxlength: 2000, required: true });
    forms.push(el('form', { class: 'action message', onsubmit: ev => submit(ev, () => hub.invoke('SendMessage', id, text.value.trim()), () => { text.value = ''; }) },
      el('h3', { text: 'Message both parties' }), field(`msg-${id}`, 'Message', text), el('button', { type: 'submit', class: 'primary', text: 'Send' })));
  }
  if (can(c, 'RequestEvidence')) {
    const of = select(['consumer', 'merchant'], 'consumer');
    show(of, el('option', { value: 'consumer', text: 'the consumer' }), el('option', { value: 'merchant', text: 'the merchant' }));
    const text = el('textarea', { rows: 2, maxlength: 2000, required: true });
    const due = el('input', { type: 'datetime-local', required: true, value: localInput(Date.now() + 86400_000) });
    forms.push(el('details', { class: 'action' }, el('summary', { text: 'Request evidence' }),
      el('form', { onsubmit: ev => submit(ev, () => hub.invoke('RequestEvidence', id, of.value, text.value.trim(), new Date(due.value).toISOString()), () => { text.value = ''; }) },
        field(`of-${id}`, 'Of', of), field(`req-${id}`, 'What is needed', text), field(`due-${id}`, 'Due by', due),
        el('button', { type: 'submit', class: 'primary', text: 'Request' }))));
  }
  const remedyForm = (kind, withRuling) => {
    const remedy = select(remedies, v.requestedRemedy);
    const amount = el('input', { type: 'number', min: 0, step: 'any', inputmode: 'decimal', required: true, value: String(v.claimedAmount) });
    const returnFirst = el('input', { type: 'checkbox', id: `${kind}-return-${id}` });
    const text = el('textarea', { rows: 2, maxlength: 2000, required: true });
    const category = select(categories, v.category), responsibility = select(responsibilities, 'Merchant');
    const invoke = withRuling
      ? () => hub.invoke('Rule', id, category.value, responsibility.value, remedy.value, Number(amount.value), returnFirst.checked, text.value.trim())
      : () => hub.invoke('Propose', id, remedy.value, Number(amount.value), returnFirst.checked, text.value.trim());
    return el('details', { class: `action ${kind}` }, el('summary', { text: withRuling ? 'Rule' : 'Propose a settlement' }),
      el('form', { onsubmit: ev => submit(ev, invoke) },
        withRuling ? field(`${kind}-category-${id}`, 'Category', category) : null,
        withRuling ? field(`${kind}-responsibility-${id}`, 'Responsible', responsibility) : null,
        field(`${kind}-remedy-${id}`, 'Remedy', remedy),
        field(`${kind}-amount-${id}`, `Amount (${currency})`, amount),
        el('p', { class: 'field check' }, returnFirst, el('label', { for: `${kind}-return-${id}`, text: 'Goods go back first' })),
        field(`${kind}-text-${id}`, withRuling ? 'Reasons' : 'Explanation to the parties', text),
        el('button', { type: 'submit', class: 'primary', text: withRuling ? 'Issue ruling' : 'Propose' })));
  };
  if (can(c, 'Propose')) forms.push(remedyForm('propose', false));
  if (can(c, 'Rule')) forms.push(remedyForm('rule', true));
  show(c.actions, ...(forms.length ? forms : [el('p', { class: 'hint', text: `Nothing to do now: the case is ${word(v.state).toLowerCase()}.` })]));
}

const localInput = ms => { const d = new Date(ms); d.setMinutes(d.getMinutes() - d.getTimezoneOffset()); return d.toISOString().slice(0, 16); };

async function submit(ev, invoke, done) {
  ev.preventDefault();
  const button = ev.target.querySelector('button[type=submit]');
  current.error.textContent = '';
  button.disabled = true;
  try { await invoke(); done?.(); } catch (e) { current.error.textContent = message(e); } finally { button.disabled = false; }
}

function onEvent(e) {
  const c = current;
  if (!c || e.disputeId !== c.id || c.events.has(e.seq)) return;
  c.events.set(e.seq, e);
  const item = eventItem(e, 'mediator', cur(c));
  const after = [...c.timeline.children].find(li => Number(li.dataset.seq) > e.seq);
  c.timeline.insertBefore(item, after ?? null);
  c.lastSeq = Math.max(c.lastSeq, e.seq);
  if (e.type === 'EvidenceAdded' && e.evidence) addEvidence(c, e.evidence);
  if (e.type === 'Offer' || e.type === 'Proposal') renderOffers(c);
  if (e.type !== 'Message') scheduleFile(c);
}

function onSignal(s) {
  const c = current;
  if (!c || s.disputeId !== c.id || s.role === 'mediator') return;
  if (s.kind === 'typing') {
    c.typing.textContent = `The ${s.role} is typing…`;
    c.typing.hidden = false;
    clearTimeout(c.typingTimer);
    c.typingTimer = setTimeout(() => { c.typing.hidden = true; }, Math.max(1000, Date.parse(s.until) - Date.now()));
  } else if (s.kind === 'typingStopped') c.typing.hidden = true;
}

const message = e => String(e?.message ?? e).replace(/^.*HubException: /, '');
function showProblem(e) { $('connection').textContent = message(e); }

async function loadQueue() {
  renderQueue(await getJson(`/api/mediators/${encodeURIComponent(me.userId)}/queue`));
}

async function start() {
  $('who').textContent = `Mediator ${me.userId}`;
  $('available').addEventListener('change', ev => setAvailable(ev.target.checked));
  setInterval(() => {
    for (const node of document.querySelectorAll('[data-deadline]')) node.querySelector('.countdown').textContent = countdown(node.dataset.deadline);
  }, 1000);
  await loadQueue(); // the city to follow
  await connectHub({ QueueChanged: onQueueChanged, DisputeEvent: onEvent, DisputeSignal: onSignal }, {
    status: text => { $('connection').textContent = text; },
    // After every (re)connection: follow the city's desk, read the queue again, catch up the open case.
    connected: async live => {
      hub = live;
      await hub.invoke('FollowQueue', city);
      await loadQueue();
      if (current) await hub.invoke('JoinDispute', current.id, current.lastSeq);
      document.body.dataset.ready = 'true';
    },
  });
}

start().catch(showProblem);
