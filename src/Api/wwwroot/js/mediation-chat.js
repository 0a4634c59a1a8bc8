// <mediation-chat dispute-id="…" token="…" api-base="https://mediation.example">
// The one implementation of the dispute chat: /consumer.html uses it, and a payment app's page of another origin
// embeds it with one script tag (the service must list that origin in Mediation:Cors:Origins).
// Identity is handed in by the host page as a bearer token its platform issued (`token`; who it names — sub and role —
// is read from it, or given as user-id and role); api-base defaults to the origin this script came from.
// Everything the user types is kept with its own Idempotency-Key in localStorage until the API has it: sent over
// REST once when possible, again with the same key after a drop or a reload (the API answers a repeat with the
// first answer), so it arrives exactly once.

import { createApi, newKey, formatMoney, formatDateTime, formatCountdown, words } from './api.js';
import { createLive } from './live.js';

const scriptOrigin = new URL(import.meta.url).origin;

/** What a token says of its bearer (sub, role): read to label the chat, never trusted — the service verifies it. */
function claims(token) {
  try {
    const part = (token || '').split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(part.padEnd(part.length + (4 - part.length % 4) % 4, '=')))));
  } catch { return {}; }
}
const remedies = ['FullRefund', 'PartialRefund', 'ReturnAndRefund', 'Exchange', 'Repair', 'Compensation', 'ReturnShippingCompensation'];
const closedStates = new Set(['Settled', 'Withdrawn', 'Expired', 'Closed']);

const styles = `
:host { display: block; font-family: system-ui, -apple-system, "Segoe UI", "PingFang SC", sans-serif; color: #1d2330; }
* { box-sizing: border-box; }
.chat { display: flex; flex-direction: column; border: 1px solid #d9dde5; border-radius: 10px; background: #fff; min-height: 420px; }
header { padding: 10px 12px; border-bottom: 1px solid #d9dde5; display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; }
header .title { font-weight: 600; flex: 1 1 auto; }
.badge { display: inline-block; font-size: .78rem; padding: 2px 8px; border-radius: 999px; background: #e8edf7; }
.badge.warn { background: #fff0db; color: #a35a00; } .badge.ok { background: #dff3e8; color: #177245; }
.badge.mediator { background: #efe6fa; color: #6b3fa0; } .badge.pending { background: #fff0db; color: #a35a00; }
.banner { margin: 8px 12px 0; padding: 6px 10px; border-radius: 8px; background: #fff0db; color: #a35a00; font-size: .9rem; }
.banner[hidden] { display: none; }
.error { margin: 8px 12px 0; color: #b3261e; font-size: .9rem; min-height: 0; }
ol.timeline { list-style: none; margin: 0; padding: 10px 12px; flex: 1 1 auto; overflow-y: auto; max-height: 60vh; display: flex; flex-direction: column; gap: 8px; }
li { max-width: 85%; }
li.mine { align-self: flex-end; }
li.theirs, li.mediator { align-self: flex-start; }
li.system { align-self: center; max-width: 100%; color: #5c6577; font-size: .85rem; text-align: center; }
.bubble { padding: 8px 10px; border-radius: 12px; background: #eef1f6; white-space: pre-wrap; overflow-wrap: anywhere; }
li.mine .bubble { background: #1463d8; color: #fff; }
li.mediator .bubble { background: #efe6fa; border: 1px solid #c9b3e6; }
li.pending .bubble { opacity: .7; border: 1px dashed #a35a00; }
.meta { font-size: .75rem; color: #5c6577; margin-top: 2px; }
li.mine .meta { text-align: right; }
.card { border: 1px solid #d9dde5; border-radius: 10px; padding: 10px; background: #fafbfd; }
li.mediator .card { border-color: #c9b3e6; background: #f7f1fd; }
.card .amount { font-size: 1.15rem; font-weight: 600; }
.actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
button { font: inherit; border-radius: 8px; border: 1px solid #d9dde5; background: #fff; color: #1d2330; padding: 6px 12px; min-height: 36px; cursor: pointer; }
button.primary { background: #1463d8; border-color: #1463d8; color: #fff; }
button:disabled { opacity: .5; cursor: default; }
button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid #7fb0ff; outline-offset: 1px; }
.typing { padding: 0 12px; font-size: .85rem; color: #5c6577; min-height: 1.2em; }
form { display: flex; gap: 6px; padding: 10px 12px; border-top: 1px solid #d9dde5; flex-wrap: wrap; align-items: flex-end; }
form.compose textarea { flex: 1 1 180px; min-height: 40px; max-height: 120px; }
input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #d9dde5; border-radius: 8px; }
label { font-size: .8rem; font-weight: 600; display: flex; flex-direction: column; gap: 2px; }
.tools { display: flex; flex-wrap: wrap; gap: 6px; padding: 0 12px 10px; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
form[hidden], .tools [hidden] { display: none; }
`;

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

export class MediationChat extends HTMLElement {
  static observedAttributes = ['dispute-id', 'token', 'user-id', 'role', 'api-base'];

  #events = new Map();      // seq → event, each once
  #lastSeq = 0;             // the highest seq this chat has: JoinDispute(afterSeq) starts after it
  #view = null;
  #api = null;
  #live = null;
  #sending = new Set();     // idempotency keys in flight
  #otherReadSeq = 0;
  #typingUntil = 0;
  #lastTypingSent = 0;
  #timer = 0;
  #refreshing = null;
  #started = false;
  #ui = {};

  get disputeId() { return this.getAttribute('dispute-id'); }
  set disputeId(v) { this.setAttribute('dispute-id', v); }
  get token() { return this.getAttribute('token'); }
  set token(v) { this.setAttribute('token', v); }
  get userId() { return this.getAttribute('user-id') || claims(this.token).sub || null; }
  set userId(v) { this.setAttribute('user-id', v); }
  get role() { return (this.getAttribute('role') || claims(this.token).role || 'consumer').toLowerCase(); }
  set role(v) { this.setAttribute('role', v); }
  get apiBase() {
    const given = this.getAttribute('api-base');
    if (given !== null) return given.replace(/\/$/, '');
    return scriptOrigin === location.origin ? '' : scriptOrigin;
  }
  set apiBase(v) { this.setAttribute('api-base', v); }

  connectedCallback() {
    if (!this.shadowRoot) this.attachShadow({ mode: 'open' });
    this.#renderShell();
    this.#start();
  }

  disconnectedCallback() {
    clearInterval(this.#timer);
    this.#live?.stop();
    this.#live = null;
    this.#started = false;
  }

  attributeChangedCallback() {
    if (this.#started) { this.disconnectedCallback(); this.connectedCallback(); }
  }

  get #identity() { return this.token ? { userId: this.userId, role: this.role, token: this.token } : null; }
  get #pendingKey() { return `mediation-chat:pending:${this.userId}:${this.disputeId}`; }

  #pending() {
    try { return JSON.parse(localStorage.getItem(this.#pendingKey) || '[]'); } catch { return []; }
  }
  #savePending(items) {
    if (items.length === 0) localStorage.removeItem(this.#pendingKey);
    else localStorage.setItem(this.#pendingKey, JSON.stringify(items));
  }

  async #start() {
    if (!this.disputeId || this.#started) return;
    this.#started = true;
    this.#events.clear();
    this.#lastSeq = 0;
    this.#api = createApi({ base: this.apiBase, identity: this.#identity });
    this.#timer = setInterval(() => this.#tick(), 1000);
    this.#setStatus('connecting');
    await this.#refresh();
    await this.#loadReadMarks();
    const live = await createLive({ base: this.apiBase, identity: this.#identity, onState: s => this.#setStatus(s) });
    this.#live = live;
    live.on('DisputeEvent', e => { if (e.disputeId === this.disputeId) this.#add([e]); });
    live.on('DisputeSignal', s => this.#signal(s));
    live.on('DisputeHeartbeat', hb => { if (hb.disputeId === this.disputeId && hb.latestSeq > this.#lastSeq) this.#catchUp(); });
    live.onConnected(() => this.#join());
    window.addEventListener('online', () => this.#flushPending());
    this.#flushPending();
    await live.start();
  }

  // Everything after the last seq this chat has: nothing missing, and #add drops what it already shows. A service
  // that has just restarted may refuse the first join: tried again until it takes, with the timeline read over REST
  // meanwhile.
  async #join() {
    if (!this.#live?.connected) return;
    try {
      await this.#live.invoke('JoinDispute', this.disputeId, this.#lastSeq);
    } catch {
      this.#catchUp();
      setTimeout(() => this.#join(), 2000);
      return;
    } finally {
      this.#flushPending();
    }
    this.#refresh();
    // Belt and braces after a drop: the timeline over REST too; whatever both bring is shown once (by seq).
    this.#catchUp();
  }

  async #catchUp() {
    try { this.#add(await this.#api.get(`/api/disputes/${encodeURIComponent(this.disputeId)}/events?afterSeq=${this.#lastSeq}`)); } catch { /* the hub catches up on reconnect */ }
  }

  async #loadReadMarks() {
    if (this.role !== 'consumer' && this.role !== 'merchant') return;
    try {
      const list = await this.#api.get(`/api/${this.role}s/${encodeURIComponent(this.userId)}/disputes`);
      const line = (list.disputes ?? list.items ?? list).find?.(d => d.disputeId === this.disputeId);
      if (line) this.#otherReadSeq = this.role === 'consumer' ? line.merchantReadSeq : line.consumerReadSeq;
    } catch { /* read ticks start from the live signals */ }
  }

  async #refresh() {
    // One refresh at a time, and one more if something changed meanwhile.
    if (this.#refreshing) { this.#refreshing.again = true; return this.#refreshing.promise; }
    const run = { again: false };
    run.promise = (async () => {
      do {
        run.again = false;
        try {
          this.#view = await this.#api.get(`/api/disputes/${encodeURIComponent(this.disputeId)}`);
          this.#showError('');
        } catch (e) {
          if (!e.offline) this.#showError(e.message);
        }
      } while (run.again);
      this.#refreshing = null;
      this.#render();
    })();
    this.#refreshing = run;
    return run.promise;
  }

  #add(events) {
    let added = false;
    for (const e of events ?? []) {
      if (this.#events.has(e.seq)) continue;
      this.#events.set(e.seq, e);
      if (e.seq > this.#lastSeq) this.#lastSeq = e.seq;
      added = true;
    }
    if (!added) return;
    this.#render();
    this.#refresh();
    this.#markRead();
  }

  #markRead() {
    if (!this.#live?.connected || document.visibilityState === 'hidden') return;
    const theirs = [...this.#events.values()].filter(e => e.authorId !== this.userId);
    if (theirs.length === 0) return;
    this.#live.invoke('MarkRead', this.disputeId, this.#lastSeq).catch(() => {});
  }

  #signal(s) {
    if (s.disputeId !== this.disputeId || s.userId === this.userId) return;
    if (s.kind === 'typing') this.#typingUntil = s.until ? new Date(s.until).getTime() : Date.now() + 5000;
    else if (s.kind === 'typingStopped') this.#typingUntil = 0;
    else if (s.kind === 'read' && (s.role === 'merchant' || s.role === 'consumer') && s.role !== this.role) {
      this.#otherReadSeq = Math.max(this.#otherReadSeq, s.seq ?? 0);
      this.#render();
    }
    this.#renderTyping();
  }

  #setStatus(state) {
    this.#status = state;
    const banner = this.#ui.banner;
    if (!banner) return;
    banner.hidden = state === 'connected';
    banner.textContent = state === 'reconnecting' ? 'reconnecting…' : state === 'connecting' ? 'connecting…' : state === 'disconnected' ? 'offline' : '';
  }
  #status = 'connecting';

  #showError(message) { if (this.#ui.error) this.#ui.error.textContent = message; }

  // ---- what the user does: each action carries its own key from the moment it is made ----

  #queue(item) {
    const items = this.#pending();
    items.push({ key: newKey(), at: new Date().toISOString(), ...item });
    this.#savePending(items);
    this.#render();
    this.#flushPending();
  }

  #lastFlush = 0;

  async #flushPending() {
    this.#lastFlush = Date.now();
    for (const item of this.#pending()) {
      if (this.#sending.has(item.key)) continue;
      this.#sending.add(item.key);
      try {
        const event = await this.#api.post(...this.#request(item), { key: item.key });
        this.#savePending(this.#pending().filter(p => p.key !== item.key));
        if (event && typeof event.seq === 'number') this.#add([event]);
        this.#render();
      } catch (e) {
        if (e.offline || e.status === 503 || e.status === 502 || e.status === 504) {
          this.#sending.delete(item.key);
          return; // kept: sent again with the same key once the connection returns
        }
        // Refused for good (409 not allowed now, 422…): say so and drop it.
        this.#savePending(this.#pending().filter(p => p.key !== item.key));
        this.#showError(e.message);
        this.#render();
      }
      this.#sending.delete(item.key);
    }
  }

  #request(item) {
    const d = `/api/disputes/${encodeURIComponent(this.disputeId)}`;
    switch (item.kind) {
      case 'message': return [`${d}/messages`, { text: item.text }];
      case 'offer': return [`${d}/offers`, { remedy: item.remedy, amount: item.amount }];
      case 'accept': return [`${d}/offers/${item.seq}/accept`, undefined];
      case 'reject': return [`${d}/offers/${item.seq}/reject`, undefined];
      case 'acceptProposal': return [`${d}/proposals/${item.seq}/accept`, undefined];
      case 'rejectProposal': return [`${d}/proposals/${item.seq}/reject`, undefined];
      case 'confirm': return [`${d}/confirm`, undefined];
      case 'feedback': return [`${d}/feedback`, { rating: item.rating, comment: item.comment || null }];
      default: throw new Error(`unknown action ${item.kind}`);
    }
  }

  async #upload(file) {
    const form = new FormData();
    form.append('file', file, file.name);
    this.#ui.photoStatus.textContent = `Uploading ${file.name}…`;
    try {
      const event = await this.#api.upload(`/api/disputes/${encodeURIComponent(this.disputeId)}/evidence`, form, { key: newKey() });
      this.#ui.photoStatus.textContent = `${file.name} attached`;
      if (event && typeof event.seq === 'number') this.#add([event]);
    } catch (e) {
      this.#ui.photoStatus.textContent = '';
      this.#showError(e.message);
    }
  }

  #typed() {
    const now = Date.now();
    if (!this.#live?.connected || now - this.#lastTypingSent < 3000) return;
    this.#lastTypingSent = now;
    this.#live.invoke('Typing', this.disputeId).catch(() => {});
  }

  // ---- rendering (text only, never HTML from data) ----

  #renderShell() {
    const root = this.shadowRoot;
    root.replaceChildren();
    const ui = this.#ui = {};
    ui.title = h('span', { class: 'title' });
    ui.state = h('span', { class: 'badge', 'data-testid': 'state' });
    ui.countdown = h('span', { class: 'badge warn', role: 'timer', 'aria-live': 'off', 'data-testid': 'countdown', hidden: true });
    ui.banner = h('div', { class: 'banner', role: 'status', 'aria-live': 'polite', text: 'connecting…' });
    ui.error = h('div', { class: 'error', role: 'alert' });
    ui.timeline = h('ol', { class: 'timeline', 'aria-label': 'Conversation', 'aria-live': 'polite' });
    ui.typing = h('div', { class: 'typing', 'aria-live': 'polite' });

    ui.text = h('textarea', { id: 'text', 'aria-label': 'Message', placeholder: 'Write a message', maxlength: 2000, oninput: () => this.#typed(),
      onkeydown: e => { if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); ui.compose.requestSubmit(); } } });
    ui.compose = h('form', { class: 'compose', 'aria-label': 'Send a message', onsubmit: e => {
      e.preventDefault();
      const text = ui.text.value.trim();
      if (!text) return;
      ui.text.value = '';
      this.#queue({ kind: 'message', text });
    } }, ui.text, h('button', { type: 'submit', class: 'primary', text: 'Send' }));

    ui.offerRemedy = h('select', { 'aria-label': 'Remedy' }, remedies.map(r => h('option', { value: r, text: words(r) })));
    ui.offerAmount = h('input', { type: 'number', min: '0', step: '0.01', inputmode: 'decimal', 'aria-label': 'Amount', required: true });
    ui.offerForm = h('form', { 'aria-label': 'Make an offer', hidden: true, onsubmit: e => {
      e.preventDefault();
      const amount = Number(ui.offerAmount.value);
      if (!Number.isFinite(amount) || amount < 0) return;
      ui.offerForm.hidden = true;
      this.#queue({ kind: 'offer', remedy: ui.offerRemedy.value, amount: Math.round(amount * 100) / 100 });
    } }, h('label', {}, 'Remedy', ui.offerRemedy), h('label', {}, 'Amount (CNY)', ui.offerAmount),
      h('button', { type: 'submit', class: 'primary', text: 'Send offer' }),
      h('button', { type: 'button', text: 'Cancel', onclick: () => { ui.offerForm.hidden = true; } }));

    ui.photo = h('input', { type: 'file', accept: 'image/*,application/pdf', class: 'visually-hidden', id: 'photo', 'aria-label': 'Attach a photo',
      onchange: () => { const f = ui.photo.files?.[0]; if (f) this.#upload(f); ui.photo.value = ''; } });
    ui.photoStatus = h('span', { class: 'meta', role: 'status' });
    ui.makeOffer = h('button', { type: 'button', text: 'Make an offer', onclick: () => this.#openOfferForm() });
    ui.attach = h('button', { type: 'button', text: 'Attach a photo', onclick: () => ui.photo.click() });
    ui.confirm = h('button', { type: 'button', class: 'primary', text: 'Confirm I received the remedy', onclick: () => this.#queue({ kind: 'confirm' }) });
    ui.rating = h('select', { 'aria-label': 'Rating' }, [5, 4, 3, 2, 1].map(n => h('option', { value: n, text: `${n} of 5` })));
    ui.comment = h('input', { type: 'text', 'aria-label': 'Comment', maxlength: 2000, placeholder: 'Comment (optional)' });
    ui.feedback = h('form', { 'aria-label': 'Rate the process', hidden: true, onsubmit: e => {
      e.preventDefault();
      this.#queue({ kind: 'feedback', rating: Number(ui.rating.value), comment: ui.comment.value.trim() });
    } }, h('label', {}, 'Rate the process', ui.rating), ui.comment, h('button', { type: 'submit', text: 'Send rating' }));
    ui.tools = h('div', { class: 'tools' }, ui.makeOffer, ui.attach, ui.photo, ui.confirm, ui.photoStatus);

    root.append(h('style', { text: styles }), h('section', { class: 'chat', 'aria-label': 'Dispute chat' },
      h('header', {}, ui.title, ui.state, ui.countdown), ui.banner, ui.error, ui.timeline, ui.typing,
      ui.compose, ui.offerForm, ui.tools, ui.feedback));
    this.#setStatus(this.#status);
  }

  #openOfferForm(counterTo) {
    const ui = this.#ui;
    ui.offerForm.hidden = false;
    if (counterTo) { ui.offerRemedy.value = counterTo.remedy; ui.offerAmount.value = counterTo.amount; }
    ui.offerAmount.focus();
  }

  #allowed(action) { return !!this.#view?.allowedActions?.includes(action); }

  #tick() {
    // Pending items are tried again every few seconds too, not only when the hub reconnects (a lost answer, a reload).
    if (Date.now() - this.#lastFlush > 4000 && this.#pending().some(p => !this.#sending.has(p.key))) this.#flushPending();
    const ui = this.#ui;
    const deadline = this.#deadline();
    if (deadline) {
      ui.countdown.hidden = false;
      ui.countdown.textContent = `${deadline.label}: ${formatCountdown(deadline.at)}`;
      ui.countdown.title = formatDateTime(deadline.at);
    } else ui.countdown.hidden = true;
    if (this.#typingUntil && Date.now() > this.#typingUntil) { this.#typingUntil = 0; this.#renderTyping(); }
  }

  #deadline() {
    const v = this.#view;
    if (!v) return null;
    const d = v.deadlines ?? {};
    if (v.state === 'AwaitingMerchant' && d.merchantRespondBy) return { label: 'Merchant answers within', at: d.merchantRespondBy };
    if (v.state === 'Negotiating' && d.negotiationEndsAt) return { label: 'Negotiation window', at: d.negotiationEndsAt };
    if (v.state === 'InMediation' && d.evidenceDueBy && !v.evidenceSealed) return { label: 'Evidence due', at: d.evidenceDueBy };
    if (v.state === 'InMediation' && d.mediationEndsAt) return { label: 'Mediation ends', at: d.mediationEndsAt };
    if (v.state === 'Enforcing' && d.instructionDueBy) return { label: 'Remedy due', at: d.instructionDueBy };
    return null;
  }

  #renderTyping() {
    const who = this.role === 'consumer' ? 'The store' : 'The customer';
    this.#ui.typing.textContent = this.#typingUntil > Date.now() ? `${who} is typing…` : '';
  }

  #render() {
    const ui = this.#ui;
    if (!ui.timeline) return;
    const v = this.#view;
    if (v) {
      ui.title.textContent = `${v.order?.storeName ?? 'Dispute'} · ${formatMoney(v.order?.total ?? 0, v.order?.currency ?? 'CNY')}`;
      ui.state.textContent = words(v.state);
      ui.state.className = `badge ${closedStates.has(v.state) ? 'ok' : ''}`;
    }
    const atBottom = ui.timeline.scrollHeight - ui.timeline.scrollTop - ui.timeline.clientHeight < 40;
    const items = [...this.#events.values()].sort((a, b) => a.seq - b.seq).map(e => this.#item(e)).filter(Boolean);
    for (const p of this.#pending()) {
      if (p.kind === 'message') items.push(h('li', { class: 'mine pending', 'data-pending': p.key },
        h('div', { class: 'bubble', text: p.text }), h('div', { class: 'meta' }, h('span', { class: 'badge pending', text: 'pending' }))));
      if (p.kind === 'offer') items.push(h('li', { class: 'mine pending', 'data-pending': p.key },
        h('div', { class: 'card' }, h('div', { text: 'Your offer' }), h('div', { class: 'amount', text: `${words(p.remedy)} · ${formatMoney(p.amount)}` })),
        h('div', { class: 'meta' }, h('span', { class: 'badge pending', text: 'pending' }))));
    }
    ui.timeline.replaceChildren(...items);
    if (atBottom) ui.timeline.scrollTop = ui.timeline.scrollHeight;

    const canMessage = !v || this.#allowed('SendMessage');
    ui.compose.hidden = !canMessage;
    ui.makeOffer.hidden = !this.#allowed('MakeOffer');
    ui.attach.hidden = !this.#allowed('AddEvidence');
    ui.confirm.hidden = !this.#allowed('ConfirmRemedy');
    ui.feedback.hidden = !this.#allowed('GiveFeedback');
    this.#tick();
  }

  #item(e) {
    const mine = e.authorId === this.userId;
    const mediator = e.authorRole === 'mediator';
    const cls = mediator ? 'mediator' : mine ? 'mine' : 'theirs';
    const who = mediator ? 'Mediator' : mine ? 'You' : e.authorRole === 'merchant' ? 'Store' : e.authorRole === 'consumer' ? 'Customer' : (e.authorRole ?? '');
    const when = formatDateTime(e.at);
    const ticks = mine && (e.type === 'Message' || e.type === 'Offer')
      ? h('span', { class: 'ticks', 'aria-label': this.#otherReadSeq >= e.seq ? 'read' : 'sent', text: this.#otherReadSeq >= e.seq ? ' ✓✓' : ' ✓' }) : null;
    const meta = h('div', { class: 'meta' }, mediator ? h('span', { class: 'badge mediator', text: 'Mediator' }) : null, ` ${who} · ${when}`, ticks);
    const v = this.#view;
    switch (e.type) {
      case 'Opened':
        return h('li', { class: cls, 'data-seq': e.seq }, h('div', { class: 'card' },
          h('div', { text: `${mine ? 'You' : 'The customer'} opened the dispute: ${words(e.category)}` }),
          e.remedy ? h('div', { class: 'amount', text: `${words(e.remedy)} · ${formatMoney(e.amount ?? 0)}` }) : null,
          e.text ? h('div', { text: e.text }) : null), meta);
      case 'Message':
        return h('li', { class: cls, 'data-seq': e.seq }, h('div', { class: 'bubble', text: e.text ?? '' }), meta);
      case 'Offer': {
        const open = v?.openOffer?.seq === e.seq;
        const canAnswer = open && !mine && this.#allowed('AcceptOffer');
        return h('li', { class: cls, 'data-seq': e.seq }, h('article', { class: 'card offer', 'aria-label': `Offer ${words(e.remedy)} ${formatMoney(e.amount ?? 0)}` },
          h('div', { text: `${mine ? 'Your offer' : `${who}'s offer`}${open ? '' : ' (no longer open)'}` }),
          h('div', { class: 'amount', text: `${words(e.remedy)} · ${formatMoney(e.amount ?? 0)}` }),
          canAnswer ? h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'primary', text: 'Accept', onclick: () => this.#queue({ kind: 'accept', seq: e.seq }) }),
            h('button', { type: 'button', text: 'Reject', onclick: () => this.#queue({ kind: 'reject', seq: e.seq }) }),
            h('button', { type: 'button', text: 'Counter', onclick: () => this.#openOfferForm({ remedy: e.remedy, amount: e.amount }) })) : null), meta);
      }
      case 'Proposal': {
        const open = v?.openProposal?.seq === e.seq;
        const canAnswer = open && this.#allowed('AcceptProposal') && !v.openProposal[this.role === 'consumer' ? 'consumerAccepted' : 'merchantAccepted'];
        return h('li', { class: 'mediator', 'data-seq': e.seq }, h('article', { class: 'card proposal', 'aria-label': 'Mediator proposal' },
          h('div', { text: `Mediator's proposal${e.returnFirst ? ' (goods go back first)' : ''}` }),
          h('div', { class: 'amount', text: `${words(e.remedy)} · ${formatMoney(e.amount ?? 0)}` }),
          e.text ? h('div', { text: e.text }) : null,
          canAnswer ? h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'primary', text: 'Accept proposal', onclick: () => this.#queue({ kind: 'acceptProposal', seq: e.seq }) }),
            h('button', { type: 'button', text: 'Reject proposal', onclick: () => this.#queue({ kind: 'rejectProposal', seq: e.seq }) })) : null), meta);
      }
      case 'OfferAccepted': return this.#system(e, `${who} accepted the offer`);
      case 'OfferRejected': return this.#system(e, `${who} rejected the offer`);
      case 'ProposalAccepted': return this.#system(e, `${who} accepted the mediator's proposal`);
      case 'ProposalRejected': return this.#system(e, `${who} rejected the mediator's proposal`);
      case 'StateChanged': return this.#system(e, `Now ${words(e.state)}${e.reason ? `: ${e.reason}` : ''}`);
      case 'MediatorAssigned': return this.#system(e, 'A mediator has taken the case');
      case 'EvidenceAdded': return this.#system(e, `${who} attached ${e.evidence?.fileName ?? e.evidence?.kind ?? 'a file'}`);
      case 'EvidenceRequested': return h('li', { class: 'mediator', 'data-seq': e.seq }, h('div', { class: 'bubble', text: `Evidence requested of the ${e.requestedOf}: ${e.text ?? ''}${e.dueBy ? ` (by ${formatDateTime(e.dueBy)})` : ''}` }), meta);
      case 'Ruled': return h('li', { class: 'mediator', 'data-seq': e.seq }, h('div', { class: 'card' },
        h('div', { text: 'Ruling' }), h('div', { class: 'amount', text: `${words(e.remedy)} · ${formatMoney(e.amount ?? 0)}` }), e.text ? h('div', { text: e.text }) : null), meta);
      case 'InstructionIssued': return this.#system(e, `The remedy went to the payment platform: ${words(e.remedy)} ${formatMoney(e.amount ?? 0)}`);
      case 'InstructionDone': return this.#system(e, 'The payment platform carried out the remedy');
      case 'RemedyConfirmed': return this.#system(e, 'The remedy was confirmed');
      case 'FeedbackGiven': return mine ? this.#system(e, `You rated the process ${e.rating} of 5`) : null;
      default: return this.#system(e, words(e.type));
    }
  }

  #system(e, text) { return h('li', { class: 'system', 'data-seq': e.seq, text }); }
}

if (!customElements.get('mediation-chat')) customElements.define('mediation-chat', MediationChat);
