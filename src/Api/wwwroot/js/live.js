// The one way pages open the hub: @microsoft/signalr (served from /lib/signalr.min.js, which defines `signalR`),
// JSON protocol, automatic reconnect that never gives up, the bearer token through accessTokenFactory (the client
// puts it in the access_token query for the WebSocket, where a browser cannot set headers).

import { signedIn } from './api.js';

const hubPath = '/hubs/negotiation';
let loading = null;

/** Loads the SignalR browser build once (a classic script defining window.signalR), from the service's origin. */
export function loadSignalR(base = '') {
  if (window.signalR) return Promise.resolve(window.signalR);
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = `${base}/lib/signalr.min.js`;
    script.onload = () => resolve(window.signalR);
    script.onerror = () => { loading = null; reject(new Error('the live connection library could not be loaded')); };
    document.head.append(script);
  });
  return loading;
}

/** Retry quickly first, then every 5 s, forever: a phone on a train comes back. */
const forever = { nextRetryDelayInMilliseconds: ctx => [0, 500, 1000, 2000][ctx.previousRetryCount] ?? 5000 };

/**
 * Builds (does not start) a hub connection. `identity` ({ userId, role, token }) gives the token, the signed-in
 * session of this origin when left out; `onState(state)` hears
 * 'connecting' | 'connected' | 'reconnecting' | 'disconnected'. Handlers are registered with connection.on(...).
 * `start()` keeps trying until connected (the service may be down when the page opens).
 */
export async function createLive({ base = '', identity, onState = () => {} } = {}) {
  const signalR = await loadSignalR(base);
  const token = () => (identity === undefined ? signedIn() : identity)?.token ?? '';
  const connection = new signalR.HubConnectionBuilder()
    .withUrl(`${base}${hubPath}`, { accessTokenFactory: token, withCredentials: false })
    .withAutomaticReconnect(forever)
    .configureLogging(signalR.LogLevel.None)
    .build();
  connection.serverTimeoutInMilliseconds = 15000;
  connection.keepAliveIntervalInMilliseconds = 5000;
  const reconnected = new Set();
  connection.onreconnecting(() => onState('reconnecting'));
  const connected = async () => {
    for (const f of reconnected) {
      try { await f(); } catch { /* each handler retries on its own; one failing must not keep the others from running */ }
    }
  };
  connection.onreconnected(async () => { onState('connected'); await connected(); });
  let stopped = false;
  const start = async () => {
    onState('connecting');
    for (let attempt = 0; !stopped; attempt++) {
      try {
        await connection.start();
        onState('connected');
        await connected();
        return;
      } catch {
        onState('reconnecting');
        await new Promise(r => setTimeout(r, Math.min(5000, 500 * (attempt + 1))));
      }
    }
  };
  // Automatic reconnect gives up only if the first reconnect fails outright; a closed connection starts over.
  connection.onclose(() => { if (!stopped) { onState('reconnecting'); start(); } });
  return {
    connection,
    start,
    /** `f` runs after every (re)connection: join again there with the last seq you have. */
    onConnected: f => reconnected.add(f),
    invoke: (method, ...args) => connection.invoke(method, ...args),
    on: (name, f) => connection.on(name, f),
    get connected() { return connection.state === signalR.HubConnectionState.Connected; },
    stop: () => { stopped = true; return connection.stop(); },
  };
}
