// The one way pages call the REST API: JSON in and out, a bearer token from the sign-in (same origin) or handed in
// by a host page of another origin, ProblemDetails turned into an Error carrying its message.

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

/** Where the sign-in page keeps this browser's session: `{ role, userId, token, expiresAt }`. */
export const sessionKey = 'mediation-session';

/** Who this browser is signed in as, with its bearer token: `{ role, userId, token, expiresAt }`, or null (none, or expired). */
export function signedIn() {
  try {
    const session = JSON.parse(localStorage.getItem(sessionKey) || 'null');
    if (!session?.token || Date.parse(session.expiresAt) <= Date.now()) return null;
    return session;
  } catch { return null; }
}

/**
 * Signs in as a demo person: the embedded default's local issuer (`POST /api/auth/token`) gives a bearer token, kept
 * in this browser for the pages of this origin.
 */
export async function signIn(role, userId, city) {
  const issued = await createApi({ identity: null }).post('/api/auth/token', city ? { userId, role, city } : { userId, role });
  const session = { role, userId, token: issued.accessToken, expiresAt: issued.expiresAt };
  localStorage.setItem(sessionKey, JSON.stringify(session));
  // Links and images (the printable case file, evidence thumbnails) carry no header: the service reads this same-site
  // cookie for GET requests only.
  document.cookie = `${tokenCookie}=${issued.accessToken}; path=/; samesite=strict; max-age=${Math.max(0, Math.floor((Date.parse(issued.expiresAt) - Date.now()) / 1000))}`;
  return session;
}

export function signOut() {
  localStorage.removeItem(sessionKey);
  document.cookie = `${tokenCookie}=; path=/; max-age=0; samesite=strict`;
}

const tokenCookie = 'mediation-token';

/** A fresh idempotency key for one user action (kept by the caller while it may be retried). */
export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

/**
 * Creates a client. `base` is the service's origin ('' for this one); `identity` ({ userId, role, token }) gives the
 * bearer token sent with every request — the signed-in session of this origin when left out.
 */
export function createApi({ base = '', identity } = {}) {
  async function request(method, path, { body, key, form, signal } = {}) {
    const headers = { Accept: 'application/json' };
    const who = identity === undefined ? signedIn() : identity;
    if (who?.token) headers.Authorization = `Bearer ${who.token}`;
    if (key) headers['Idempotency-Key'] = key;
    let payload;
    if (form) payload = form;
    else if (body !== undefined) { headers['Content-Type'] = 'application/json'; payload = JSON.stringify(body); }
    let response;
    try {
      response = await fetch(base + path, { method, headers, body: payload, credentials: 'omit', signal });
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

/** The API of this origin as the signed-in user. */
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
