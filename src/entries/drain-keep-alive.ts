import type { Server, ServerResponse } from 'node:http';

// While the server drains (SIGTERM/SIGINT, src/entries/node.ts's shutdown), its answers say
// `Connection: close`. Otherwise a client sends its next request on the kept-alive connection
// the answer left open, just as the drain's closeIdleConnections closes it as idle between two
// requests: the client sees the connection reset (ECONNRESET, undici's "other side closed")
// instead of an answer or a refused connection, and cannot tell whether its write was taken.

/** Tracks the answers being made; the function returned makes them, and every later one, close their connection. */
export function closeKeptAliveOnDrain(server: Server): () => void {
  const answering = new Set<ServerResponse>();
  let draining = false;
  server.on('request', (_request, response: ServerResponse) => {
    if (draining) {
      response.shouldKeepAlive = false;
      return;
    }
    answering.add(response);
    response.once('close', () => answering.delete(response));
  });
  return () => {
    draining = true;
    for (const response of answering) if (!response.headersSent) response.shouldKeepAlive = false;
  };
}
