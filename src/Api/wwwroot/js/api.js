// The one way pages call the REST API: JSON in and out, identity from the sign-in cookie (same origin) or from
// explicit headers (a host page of another origin), ProblemDetails turned into an Error carrying its message.

/** An API refusal: `status`, `title`, `detail` (the API's own words) and the whole `problem`. */
export class ApiError extends Error {
  constructor(status, problem) {
    const errors = problem && problem.errors ? Object.values(problem.errors).flat().join(' ') : '';
    super((problem && (problem.detail || problem.title)) ? [problem.detail || problem.title, errors].filter(Boolean).join(' ') : `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.title = problem?.title ?? '';
    this.problem = problem ?? null;
  }
}

export const identityCookie = 'mediation-dev-identity';

/** Who the sign-in page said this browser is: `{ role, userId }`, or null. */
export function signedIn() {
  const entry = document.cookie.split(';').map(c => c.trim()).find(c => c.startsWith(identityCookie + '='));
  if (!entry) return null;
  const value = decodeURIComponent(entry.slice(identityCookie.length + 1));
  const colon = value.indexOf(':');
  return colon < 0 ? null : { role: value.slice(0, colon), userId: value.slice(colon + 1) };
}

export function signIn(role, userId) {
  document.cookie = `${identityCookie}=${encodeURIComponent(`${role}:${userId}`)}; path=/; samesite=lax`;
}

export function signOut() {
  document.cookie = `${identityCookie}=; path=/; max-age=0; samesite=lax`;
}

/** A fresh idempotency key for one user action (kept by the caller while it may be retried). */
export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

/**
 * Creates a client. `base` is the service's origin ('' for this one); `identity` ({ userId, role }) is sent as the
 * development headers, needed across origins where the cookie does not go.
 */
export function createApi({ base = '', identity = null } = {}) {
  async function request(method, path, { body, key, form, signal } = {}) {
    const headers = { Accept: 'application/json' };
    if (identity) { headers['X-User-Id'] = identity.userId; headers['X-Role'] = identity.role; }
    if (key) headers['Idempotency-Key'] = key;
    let payload;
    if (form) payload = form;
    else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
    let response;
    try {
      response = await fetch(base + path, { method, headers, body: payload, credentials: base ? 'omit' : 'same-origin', signal });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      const offline = new ApiError(0, { title: 'Offline', detail: 'the service cannot be reached' });
      offline.offline = true;
      throw offline;
    }
    const text = await response.text();
    let data = null;
    if (text) { try { data = JSON.parse(text); } catch { data = text; } }
    if (!response.ok) throw new ApiError(response.status, typeof data === 'object' ? data : { title: response.statusText, detail: String(data ?? '') });
    return data;
  }
  return {
    base,
    identity,
    request,
    get: (path, options) => request('GET', path, options),
    post: (path, body, options = {}) => request('POST', path, { ...options, body }),
    put: (path, body, options = {}) => request('PUT', path, { ...options, body }),
    upload: (path, form, options = {}) => request('POST', path, { ...options, form }),
  };
}

/** The API of this origin as the signed-in user (cookie). */
export const api = createApi();

const money = new Map();
/** An amount in its currency for the user's locale (CNY with two decimals). */
export function formatMoney(amount, currency = 'CNY') {
  if (!money.has(currency)) money.set(currency, new Intl.NumberFormat(undefined, { style: 'currency', currency }));
  return money.get(currency).format(Number(amount));
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export function formatDateTime(value) { return dateTime.format(new Date(value)); }

/** "2 h 05 min" or "4 min 10 s" until `until`; "passed" once it has. */
export function formatCountdown(until, now = Date.now()) {
  let s = Math.floor((new Date(until).getTime() - now) / 1000);
  if (s <= 0) return 'passed';
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(s).padStart(2, '0')} s`;
}

/** Words for a state name ("AwaitingMerchant" → "awaiting merchant"). */
export function words(name) {
  return String(name ?? '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** A small element builder that only ever sets text (never HTML). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
