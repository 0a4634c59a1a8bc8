// What the merchant console and the mediator desk share on top of api.js and live.js: the signed-in person of the
// page's role, REST calls in JSON, and the hub with a status line and a hook run after every (re)connection.
import { api, newKey, signedIn as identity } from './api.js';
import { createLive } from './live.js';

/** The signed-in person, who must have this page's role; anyone else goes to the sign-in page. */
export function signedIn(role) {
  const me = identity();
  if (!me || me.role.toLowerCase() !== role) {
    location.href = '/';
    throw new Error(`sign in as a ${role}`);
  }
  return { role, userId: me.userId };
}

export const getJson = path => api.get(path);
/** One user action, one idempotency key: a retry of the same click is not a second action. */
export const postJson = (path, body) => api.post(path, body, { key: newKey() });
export const putJson = (path, body) => api.put(path, body);

const said = { connecting: 'connecting…', reconnecting: 'reconnecting…', disconnected: 'offline' };

/**
 * The hub, started: `handlers` by client method; `connected(live)` runs after every (re)connection (follow again,
 * catch up from the last seq held), then the status says "live".
 */
export async function connectHub(handlers, { status, connected }) {
  const live = await createLive({ onState: state => { if (said[state]) status(said[state]); } });
  for (const [name, handler] of Object.entries(handlers)) live.on(name, handler);
  live.onConnected(async () => {
    try { await connected(live); status('live'); } catch (e) { status(String(e?.message ?? e)); }
  });
  await live.start();
  return live;
}
