import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

// While the server drains (SIGTERM/SIGINT, src/entries/node.ts's shutdown), its answers say
// `Connection: close`. Otherwise a client sends its next request on the kept-alive connection
// the answer left open, just as the drain's closeIdleConnections closes it as idle between two
// requests: the client sees the connection reset (ECONNRESET, undici's "other side closed")
// instead of an answer or a refused connection, and cannot tell whether its write was taken.
//
// The answers under way are found through their connections, not tracked one by one: a Set entry
// and a listener on every response tripled the garbage collector's time per PostgreSQL retrieve
// (docs/performance.md, "The twenty-third round"). A kept-alive connection carries many requests,
// so one listener per connection is nothing on the hot path.

/** The response a connection is sending now, if any (Node's own slot for it, as src/entries/header-overflow.ts reads it). */
const answering = (socket: Socket): ServerResponse | null | undefined =>
  (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;

/** Tracks the open connections; the function returned makes their answers under way, and every later one, close their connection. */
export function closeKeptAliveOnDrain(server: Server): () => void {
  const open = new Set<Socket>();
  let draining = false;
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  server.on('request', (_request, response: ServerResponse) => {
    if (draining) response.shouldKeepAlive = false;
  });
  return () => {
    draining = true;
    for (const socket of open) {
      const response = answering(socket);
      if (response && !response.headersSent) response.shouldKeepAlive = false;
    }
  };
}
