// Placeholder until the shared api.js/live.js land: identity from the sign-in cookie, REST with it, the hub.
const cookieName = 'mediation-dev-identity';

export function signedIn(role) {
  const raw = document.cookie.split('; ').find(c => c.startsWith(`${cookieName}=`))?.slice(cookieName.length + 1);
  const value = raw ? decodeURIComponent(raw) : '';
  const [r, ...rest] = value.split(':');
  const userId = rest.join(':');
  if (!userId || r.toLowerCase() !== role) { location.href = '/'; throw new Error(`sign in as a ${role}`); }
  return { role: r.toLowerCase(), userId };
}

async function problem(response) {
  try { const p = await response.json(); return new Error(p.detail ?? p.title ?? `${response.status}`); } catch { return new Error(`${response.status}`); }
}

export async function getJson(path) {
  const r = await fetch(path, { credentials: 'include', headers: { Accept: 'application/json' } });
  if (!r.ok) throw await problem(r);
  return r.json();
}

export async function sendJson(method, path, body) {
  const r = await fetch(path, {
    method, credentials: 'include',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Idempotency-Key': crypto.randomUUID() },
    body: JSON.stringify(body ?? {}),
  });
  if (!r.ok) throw await problem(r);
  return r.status === 204 ? null : r.json();
}
export const postJson = (path, body) => sendJson('POST', path, body);
export const putJson = (path, body) => sendJson('PUT', path, body);

export function connectHub(handlers, { status, resumed }) {
  const hub = new window.signalR.HubConnectionBuilder().withUrl('/hubs/negotiation').withAutomaticReconnect([0, 1000, 2000, 5000, 10000]).build();
  for (const [name, handler] of Object.entries(handlers)) hub.on(name, handler);
  hub.onreconnecting(() => status('reconnecting…'));
  hub.onreconnected(async () => { status('live'); await resumed(); });
  hub.onclose(() => status('disconnected — reload the page'));
  return hub;
}
