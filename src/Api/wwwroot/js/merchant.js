// The merchant console: every open dispute of the signed-in merchant, most urgent first, live over the hub;
// several conversations open as tabs (or side by side), each keeping its typed draft.
import { signedIn, getJson, postJson, connectHub } from './desk-kit.js';
import { show, money, when, countdown, deadlineName, word, closedStates, eventItem, el } from './timeline.js';

const me = signedIn('merchant');
const $ = id => document.getElementById(id);

/**
 * The standard return policy of the dispute's city (the terms it opened under, from the API): one click makes the
 * offer, amounts computed from the consumer's claim.
 */
const policyOf = v => (v.terms?.returnPolicy?.offers ?? []).map(o => ({
  remedy: o.remedy, share: Number(o.share),
  label: `${word(o.remedy)}${Number(o.share) > 0 && Number(o.share) < 1 ? ` ${Math.round(Number(o.share) * 100)} %` : ''}`,
}));
const quickReplies = [
  'Sorry about this! Could you send a photo of the problem?',
  'Thank you for your patience — we are looking into it now.',
  'Please send the item back to our store; we refund as soon as it arrives.',
  'We can offer you a partial refund and you keep the item.',
];
const remedies = ['FullRefund', 'PartialRefund', 'ReturnAndRefund', 'Exchange', 'Repair', 'Compensation', 'ReturnShippingCompensation'];

const news = {
  Opened: 'Opened', Message: 'Message', Offer: 'Offer', OfferAccepted: 'Offer accepted', OfferRejected: 'Offer rejected',
  StateChanged: 'State changed', DeadlineWarning: 'Deadline near', MediatorAssigned: 'Mediator assigned', EvidenceAdded: 'Evidence added',
  EvidenceRequested: 'Evidence requested', Proposal: "Mediator's proposal", Ruled: 'Ruling', ReturnShipped: 'Return shipped',
};
const rows = new Map();          // disputeId -> the list's summary line, merged with the hub's news
const conversations = new Map(); // disputeId -> open conversation
let active = null;
let hub = null;

// ---------- the list ----------

function urgency(a, b) {
  const da = a.nextDeadline ? Date.parse(a.nextDeadline) : Infinity;
  const db = b.nextDeadline ? Date.parse(b.nextDeadline) : Infinity;
  if (da !== db) return da - db;
  if ((b.unread ?? 0) !== (a.unread ?? 0)) return (b.unread ?? 0) - (a.unread ?? 0);
  return Date.parse(b.updatedAt ?? 0) - Date.parse(a.updatedAt ?? 0);
}

function renderList() {
  const showClosed = $('show-closed').checked;
  const shown = [...rows.values()].filter(r => showClosed || !closedStates.has(r.state)).sort(urgency);
  const open = [...rows.values()].filter(r => !closedStates.has(r.state)).length;
  $('open-count').textContent = `(${open})`;
  $('no-disputes').hidden = shown.length > 0;
  const list = $('disputes');
  const items = shown.map(r => {
    const unread = Number(r.unread ?? 0);
    const button = el('button', {
      type: 'button', class: 'row-open', onclick: () => openConversation(r.disputeId),
      'aria-label': `Dispute on order ${r.orderId}, ${word(r.state)}${unread ? `, ${unread} unread` : ''}`,
    },
      el('span', { class: 'row-title', text: `Order ${r.orderId}` }),
      el('span', { class: 'row-meta', text: `${word(r.category)} · ${r.consumerId}` }),
      r.lastEventType ? el('span', { class: 'row-news', text: news[r.lastEventType] ?? word(r.lastEventType) }) : null,
      el('span', { class: `state state-${r.state}`, text: word(r.state) }),
      r.nextDeadline ? el('span', { class: 'deadline', 'data-deadline': r.nextDeadline, title: `${deadlineName(r.nextDeadlineKind)}: ${when(r.nextDeadline)}` },
        el('span', { class: 'deadline-kind', text: `${deadlineName(r.nextDeadlineKind)} ` }),
        el('span', { class: 'countdown', text: countdown(r.nextDeadline) })) : null,
      el('span', { class: 'unread', 'data-unread': String(unread), hidden: unread === 0, text: String(unread), title: `${unread} unread` }));
    return el('li', { class: `dispute-row${r.disputeId === active ? ' active' : ''}`, 'data-dispute-id': r.disputeId }, button);
  });
  show(list, ...items);
  tick();
}

function merge(line) {
  const row = rows.get(line.disputeId);
  if (row && Number(row.lastSeq ?? 0) > Number(line.lastSeq ?? 0)) return; // never go backwards
  rows.set(line.disputeId, { ...row, ...line });
}

let reloading = null;
async function loadList() {
  const list = await getJson(`/api/merchants/${encodeURIComponent(me.userId)}/disputes`);
  for (const line of list.disputes) merge(line);
  renderStanding(list.standing);
  renderList();
}
function scheduleReload() {
  clearTimeout(reloading);
  reloading = setTimeout(() => loadList().catch(showProblem), 300);
}

function onSummary(news) {
  const row = rows.get(news.disputeId);
  if (!row) { scheduleReload(); return; }
  if (Number(news.seq) < Number(row.lastSeq ?? 0)) return;
  const stateChanged = row.state !== news.state;
  Object.assign(row, {
    state: news.state, nextDeadline: news.nextDeadline ?? null, nextDeadlineKind: news.nextDeadlineKind ?? null,
    lastSeq: news.seq, lastEventType: news.kind, updatedAt: news.at,
    unread: isRead(news.disputeId) ? 0 : news.unread,
  });
  renderList();
  if (stateChanged) scheduleReload(); // the standing moves with finished disputes
  const c = conversations.get(news.disputeId);
  if (c) renderDeadline(c);
}

function renderStanding(s) {
  const box = $('standing');
  if (!s) { show(box); return; }
  const rate = s.resolutionRateByParties === null || s.resolutionRateByParties === undefined ? '—' : `${Math.round(s.resolutionRateByParties * 100)} %`;
  show(box, 
    el('h2', { text: 'Store standing' }),
    el('p', { class: `score${s.flagged ? ' flagged' : ''}` },
      el('strong', { text: String(s.score) }), el('span', { text: ' / 100' }),
      s.verified ? el('span', { class: 'badge verified', text: 'Verified' }) : el('span', { class: 'badge', text: 'Not verified' }),
      s.flagged ? el('span', { class: 'badge flagged', text: 'Flagged' }) : null),
    el('dl', {},
      el('dt', { text: 'Settled by the parties' }), el('dd', { text: rate }),
      el('dt', { text: 'Median first answer' }), el('dd', { text: duration(s.medianFirstResponse) }),
      el('dt', { text: 'Rulings against' }), el('dd', { text: String(s.rulingsAgainst) }),
      el('dt', { text: 'Unpaid claims' }), el('dd', { text: String(s.unpaidClaims) })));
}

/** A .NET TimeSpan on the wire ("01:02:03" or "1.02:03:04") read as "1 d 2 h" / "1 h 2 min". */
function duration(span) {
  if (!span) return '—';
  const m = /^(?:(\d+)\.)?(\d+):(\d+):(\d+)/.exec(span);
  if (!m) return span;
  const [d, h, min] = [Number(m[1] ?? 0), Number(m[2]), Number(m[3])];
  return d ? `${d} d ${h} h` : h ? `${h} h ${min} min` : `${min} min`;
}

function tick() {
  const now = Date.now();
  for (const node of document.querySelectorAll('[data-deadline]')) {
    const due = Date.parse(node.dataset.deadline);
    node.querySelector('.countdown').textContent = countdown(node.dataset.deadline, now);
    node.classList.toggle('overdue', due < now);
    node.classList.toggle('soon', due >= now && due - now < 3600_000);
  }
}

// ---------- conversations ----------

const draftKey = id => `draft:${me.userId}:${id}`;
const isVisible = c => c.pane.isConnected && !c.pane.hidden && document.visibilityState === 'visible';
const isRead = id => { const c = conversations.get(id); return !!c && isVisible(c); };

async function openConversation(id) {
  let c = conversations.get(id);
  if (!c) {
    c = createConversation(id);
    conversations.set(id, c);
    await refreshView(c);
    if (hub) await join(c);
  }
  activate(id);
}

function createConversation(id) {
  const c = { id, view: null, events: new Map(), lastSeq: 0, readSent: 0, theirRead: 0, typingUntil: 0, lastTyping: 0 };
  c.tab = el('button', { role: 'tab', type: 'button', class: 'tab', id: `tab-${id}`, 'aria-controls': `pane-${id}`, onclick: () => activate(id) },
    el('span', { class: 'tab-title', text: rows.get(id)?.orderId ?? id }),
    el('span', { class: 'tab-unread', hidden: true }));
  c.close = el('button', { type: 'button', class: 'tab-close', 'aria-label': `Close conversation ${id}`, text: '×', onclick: () => closeConversation(id) });
  c.tabWrap = el('span', { class: 'tab-wrap' }, c.tab, c.close);
  $('tabs').append(c.tabWrap);

  c.header = el('header', { class: 'case-head' });
  c.deadline = el('p', { class: 'case-deadline' });
  c.card = el('div', { class: 'cards', 'aria-live': 'polite' });
  c.timeline = el('ol', { class: 'timeline', 'aria-label': 'Conversation', 'aria-live': 'polite' });
  c.typing = el('p', { class: 'typing', hidden: true, text: 'The consumer is typing…' });
  c.error = el('p', { class: 'error', role: 'alert' });
  c.draft = el('textarea', { id: `draft-${id}`, rows: 3, maxlength: 2000, placeholder: 'Write to the consumer…' });
  c.draft.value = sessionStorage.getItem(draftKey(id)) ?? '';
  c.draft.addEventListener('input', () => { sessionStorage.setItem(draftKey(id), c.draft.value); typing(c); });
  c.draft.addEventListener('keydown', ev => { if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); send(c); } });
  c.composer = el('form', { class: 'composer', onsubmit: ev => { ev.preventDefault(); send(c); } },
    el('label', { for: `draft-${id}`, text: 'Reply' }), c.draft, el('button', { type: 'submit', class: 'primary', text: 'Send' }));
  c.replies = el('div', { class: 'quick-replies', role: 'group', 'aria-label': 'Quick replies' },
    ...quickReplies.map(text => el('button', { type: 'button', class: 'chip', text, onclick: () => { c.draft.value = text; c.draft.dispatchEvent(new Event('input')); c.draft.focus(); } })));
  c.offers = el('div', { class: 'offers', role: 'group', 'aria-label': 'Offers' });
  c.more = el('div', { class: 'more-actions' });
  c.pane = el('article', { class: 'pane', id: `pane-${id}`, role: 'tabpanel', 'aria-labelledby': `tab-${id}`, 'data-dispute-id': id },
    c.header, c.deadline, c.card, c.timeline, c.typing, c.error, c.offers, c.replies, c.composer, c.more);
  $('panes').append(c.pane);
  return c;
}

function activate(id) {
  active = id;
  const split = $('side-by-side').checked;
  for (const c of conversations.values()) {
    const on = c.id === id;
    c.tab.setAttribute('aria-selected', String(on));
    c.tab.tabIndex = on ? 0 : -1;
    c.pane.hidden = !split && !on;
  }
  $('no-conversation').hidden = conversations.size > 0;
  renderList();
  for (const c of conversations.values()) markRead(c);
}

function closeConversation(id) {
  const c = conversations.get(id);
  if (!c) return;
  conversations.delete(id);
  c.tabWrap.remove();
  c.pane.remove();
  hub?.invoke('LeaveDispute', id).catch(() => {});
  if (active === id) active = conversations.keys().next().value ?? null;
  if (active) activate(active); else { $('no-conversation').hidden = false; renderList(); }
}

async function refreshView(c) {
  c.view = await getJson(`/api/disputes/${encodeURIComponent(c.id)}`);
  renderHeader(c);
  renderActions(c);
}
function scheduleView(c) {
  clearTimeout(c.viewTimer);
  c.viewTimer = setTimeout(() => refreshView(c).catch(e => showError(c, e)), 150);
}

const currency = c => c.view?.order?.currency ?? 'CNY';
const can = (c, action) => c.view?.allowedActions?.includes(action);

function renderHeader(c) {
  const v = c.view, o = v.order;
  c.tab.querySelector('.tab-title').textContent = `Order ${o.orderId}`;
  const items = o.items.map(i => `${i.quantity} × ${i.name}${i.spec ? ` (${i.spec})` : ''}`).join(', ');
  show(c.header, 
    el('h2', { text: `Order ${o.orderId} — ${word(v.category)}` }),
    el('p', { class: `state state-${v.state}`, 'data-state': v.state, text: word(v.state) }),
    el('p', { class: 'order', text: `${items} · ${money(o.total, o.currency)} · paid ${when(o.paidAt)} via ${o.paymentChannel}` }),
    el('p', { class: 'claim', text: `Consumer ${v.consumerId} asks for ${word(v.requestedRemedy)} ${money(v.claimedAmount, o.currency)}: ${v.description}` }));
  renderDeadline(c);
}

function renderDeadline(c) {
  const r = rows.get(c.id);
  show(c.deadline);
  if (r?.nextDeadline) {
    c.deadline.append(el('span', { 'data-deadline': r.nextDeadline, class: 'deadline' },
      el('span', { class: 'deadline-kind', text: `${deadlineName(r.nextDeadlineKind)}: ` }),
      el('span', { class: 'countdown', text: countdown(r.nextDeadline) })));
  }
}

function renderActions(c) {
  const v = c.view, cur = currency(c);
  const cards = [];
  if (v.openOffer) {
    const o = v.openOffer, theirs = o.authorRole !== 'merchant';
    cards.push(el('div', { class: `card offer${theirs ? ' theirs' : ' mine'}` },
      el('p', { text: `${theirs ? 'The consumer asks for' : 'Your offer'}: ${word(o.remedy)} ${money(o.amount, cur)}${theirs ? '' : ' — waiting for the consumer'}` }),
      theirs && can(c, 'AcceptOffer') ? el('button', { type: 'button', class: 'primary', text: 'Accept', onclick: () => act(c, 'AcceptOffer', c.id, o.seq) }) : null,
      theirs && can(c, 'RejectOffer') ? el('button', { type: 'button', text: 'Reject', onclick: () => act(c, 'RejectOffer', c.id, o.seq) }) : null));
  }
  if (v.openProposal) {
    const p = v.openProposal;
    cards.push(el('div', { class: 'card proposal' },
      el('p', { text: `Mediator's proposal: ${word(p.remedy)} ${money(p.amount, cur)}${p.returnFirst ? ', goods back first' : ''}${p.merchantAccepted ? ' — you accepted' : ''}` }),
      can(c, 'AcceptProposal') ? el('button', { type: 'button', class: 'primary', text: 'Accept proposal', onclick: () => act(c, 'AcceptProposal', c.id, p.seq) }) : null,
      can(c, 'RejectProposal') ? el('button', { type: 'button', text: 'Reject proposal', onclick: () => act(c, 'RejectProposal', c.id, p.seq) }) : null));
  }
  if (v.outcome) {
    const o = v.outcome;
    cards.push(el('div', { class: `card outcome outcome-${o.source}` },
      el('p', { text: `${o.source === 'ruling' ? 'Ruling' : o.source === 'proposal' ? 'Accepted proposal' : 'Settled'}: ${word(o.remedy)} ${money(o.amount, cur)}${o.returnFirst ? ', goods back first' : ''}${v.responsibility ? `; responsible: ${word(v.responsibility)}` : ''}` })));
  }
  if (can(c, 'AcknowledgeReturn')) {
    const condition = el('select', { id: `condition-${c.id}` },
      ...['AsExpected', 'Damaged', 'Empty', 'Different', 'MissingItems'].map(k => el('option', { value: k, text: word(k) })));
    const note = el('input', { id: `note-${c.id}`, maxlength: 2000 });
    cards.push(el('form', { class: 'card return', onsubmit: ev => { ev.preventDefault(); acknowledge(c, condition.value, note.value); } },
      el('p', { text: `The consumer shipped the goods back${v.returnCarrier ? ` with ${v.returnCarrier}, tracking ${v.returnTrackingNumber}` : ''}.` }),
      el('label', { for: `condition-${c.id}`, text: 'Condition' }), condition,
      el('label', { for: `note-${c.id}`, text: 'Note' }), note,
      el('button', { type: 'submit', class: 'primary', text: 'Acknowledge return' })));
  }
  // Each part is rebuilt only when what it shows changes, so that a refresh never wipes what is being typed.
  const cardsKey = JSON.stringify([v.state, v.openOffer, v.openProposal, v.outcome, v.responsibility, v.allowedActions, v.returnCarrier]);
  if (c.cardsKey !== cardsKey) { c.cardsKey = cardsKey; show(c.card, ...cards); }

  const offersKey = JSON.stringify([can(c, 'MakeOffer'), v.claimedAmount, cur, v.terms?.returnPolicy]);
  if (c.offersKey === offersKey) { renderComposer(c); return; }
  c.offersKey = offersKey;
  show(c.offers);
  if (can(c, 'MakeOffer')) {
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency: cur }).resolvedOptions().maximumFractionDigits;
    const round = x => Math.round(x * 10 ** digits) / 10 ** digits;
    const amount = el('input', { id: `amount-${c.id}`, type: 'number', min: 0, step: 10 ** -digits, inputmode: 'decimal', required: true });
    const remedy = el('select', { id: `remedy-${c.id}` }, ...remedies.map(r => el('option', { value: r, text: word(r) })));
    c.offers.append(
      el('p', { class: 'label', text: `Standard return policy${v.terms?.city ? ` (${v.terms.city})` : ''}` }),
      ...policyOf(v).map(p => {
        const value = round(v.claimedAmount * p.share);
        return el('button', { type: 'button', class: 'policy', onclick: () => act(c, 'MakeOffer', c.id, p.remedy, value), text: `${p.label} · ${money(value, cur)}` });
      }),
      el('form', { class: 'custom-offer', onsubmit: ev => { ev.preventDefault(); act(c, 'MakeOffer', c.id, remedy.value, Number(amount.value)); } },
        el('label', { for: `remedy-${c.id}`, text: 'Remedy' }), remedy,
        el('label', { for: `amount-${c.id}`, text: `Amount (${cur})` }), amount,
        el('button', { type: 'submit', text: 'Make offer' })));
  }
  renderComposer(c);
}

function renderComposer(c) {
  c.replies.hidden = c.composer.hidden = !can(c, 'SendMessage');
  show(c.more, 
    can(c, 'Escalate') ? el('button', { type: 'button', text: 'Ask for a mediator', onclick: () => act(c, 'Escalate', c.id) }) : null,
    el('a', { href: `/api/disputes/${encodeURIComponent(c.id)}/case-file?format=html`, target: '_blank', rel: 'noopener', text: 'Case file (printable)' }));
}

async function act(c, method, ...args) {
  c.error.textContent = '';
  try { await hub.invoke(method, ...args); } catch (e) { showError(c, e); }
}

async function acknowledge(c, condition, note) {
  c.error.textContent = '';
  try {
    await postJson(`/api/disputes/${encodeURIComponent(c.id)}/return-receipt`, { condition, note: note || null });
    await refreshView(c);
  } catch (e) { showError(c, e); }
}

async function send(c) {
  const text = c.draft.value.trim();
  if (!text) return;
  c.error.textContent = '';
  try {
    await hub.invoke('SendMessage', c.id, text);
    c.draft.value = '';
    sessionStorage.removeItem(draftKey(c.id));
  } catch (e) { showError(c, e); }
}

function typing(c) {
  const now = Date.now();
  if (!hub || now - c.lastTyping < 2000) return;
  c.lastTyping = now;
  hub.invoke('Typing', c.id).catch(() => {});
}

function showError(c, e) { c.error.textContent = message(e); }
function showProblem(e) { $('connection').textContent = message(e); }
const message = e => String(e?.message ?? e).replace(/^.*HubException: /, '');

function onEvent(e) {
  const c = conversations.get(e.disputeId);
  if (!c || c.events.has(e.seq)) return;
  c.events.set(e.seq, e);
  const item = eventItem(e, 'merchant', currency(c));
  if (e.authorRole === 'merchant' && e.seq <= c.theirRead) item.classList.add('read');
  const after = [...c.timeline.children].find(li => Number(li.dataset.seq) > e.seq);
  c.timeline.insertBefore(item, after ?? null);
  c.lastSeq = Math.max(c.lastSeq, e.seq);
  item.scrollIntoView?.({ block: 'nearest' });
  if (e.type !== 'Message') scheduleView(c);
  markRead(c);
}

function onSignal(s) {
  const c = conversations.get(s.disputeId);
  if (!c || s.role === 'merchant') return;
  if (s.kind === 'typing') {
    c.typing.textContent = s.role === 'mediator' ? 'The mediator is typing…' : 'The consumer is typing…';
    c.typing.hidden = false;
    clearTimeout(c.typingTimer);
    c.typingTimer = setTimeout(() => { c.typing.hidden = true; }, Math.max(0, Date.parse(s.until) - Date.now()) || 5000);
  } else if (s.kind === 'typingStopped') {
    c.typing.hidden = true;
  } else if (s.kind === 'read' && s.role === 'consumer') {
    c.theirRead = Math.max(c.theirRead, Number(s.seq));
    for (const li of c.timeline.querySelectorAll('.by-merchant')) if (Number(li.dataset.seq) <= c.theirRead) li.classList.add('read');
  }
}

function markRead(c) {
  if (!hub || !isVisible(c) || c.lastSeq <= c.readSent) return;
  c.readSent = c.lastSeq;
  hub.invoke('MarkRead', c.id, c.lastSeq).catch(() => { c.readSent = 0; });
  const r = rows.get(c.id);
  if (r && r.unread) { r.unread = 0; renderList(); }
}

async function join(c) {
  await hub.invoke('JoinDispute', c.id, c.lastSeq);
}

// ---------- start ----------

async function start() {
  $('who').textContent = `Signed in as merchant ${me.userId}`;
  $('show-closed').addEventListener('change', renderList);
  $('side-by-side').addEventListener('change', () => { $('panes').classList.toggle('split', $('side-by-side').checked); if (active) activate(active); });
  document.addEventListener('visibilitychange', () => { for (const c of conversations.values()) markRead(c); });
  setInterval(tick, 1000);

  await connectHub({ DisputeSummary: onSummary, DisputeEvent: onEvent, DisputeSignal: onSignal }, {
    status: text => { $('connection').textContent = text; },
    // After every (re)connection: follow the store, read the list, catch up each open conversation from its last seq.
    connected: async live => {
      hub = live;
      await hub.invoke('FollowMerchant', me.userId);
      await loadList();
      for (const c of conversations.values()) await join(c);
      document.body.dataset.ready = 'true';
    },
  });
}

start().catch(showProblem);
