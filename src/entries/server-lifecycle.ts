import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Store } from '../store/index.ts';

// Listening and closing the Node server (startNode in node.ts, `custgate serve`): what a failed
// listen says, the probe serve makes before it creates a tenant, and the graceful shutdown.

/** A listen error as one line a user can act on. */
export function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  if (error.code === 'EADDRINUSE') return new Error(`port ${port} on ${host} is already in use (choose another with --port or PORT)`);
  if (error.code === 'EACCES') return new Error(`no permission to listen on port ${port} on ${host}`);
  if (error.code === 'EADDRNOTAVAIL') return new Error(`cannot listen on ${host}: no such local address`);
  return new Error(`cannot listen on ${host}:${port}: ${error.message}`);
}

/**
 * Whether `host:port` can be listened on, answered by listening there and closing again. `serve`
 * asks before it makes the demo tenant: a start that then failed to listen (a port in use, an
 * address this machine does not have) left a tenant whose credentials were never printed, and the
 * next start, finding a tenant, made none.
 */
export function probeListen(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, host, port)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * Stops accepting, lets requests in flight finish (their connections are closed at `timeoutMs`),
 * then stops the background work and closes the store.
 */
export function shutdown(
  server: Server,
  timeoutMs: number,
  purge: NodeJS.Timeout,
  store: Store,
  stopDispatcher: () => Promise<void>,
): Promise<void> {
  return new Promise<void>((done, fail) => {
    clearInterval(purge);
    // Idle keep-alive connections go now; busy ones as soon as their response is sent (checked
    // every 100 ms: a kept-alive connection would otherwise hold the close up); all at the bound.
    server.closeIdleConnections();
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(force);
      stopDispatcher()
        .catch(() => undefined)
        // A store that will not close is the close's failure (serve exits 1 saying so), not an
        // unhandled rejection beside a close that reported success.
        .finally(() => store.executor.close().then(done, fail));
    });
  });
}
