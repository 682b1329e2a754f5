import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Env } from '../config.ts';
import { AddressSlots } from '../http/in-flight.ts';

// The Node server's own limits (timeouts, connection caps: docs/security.md), kept apart from
// startNode (node.ts), which wires the gateway together.

/** Limits on the HTTP server itself (docs/security.md), from the environment. */
export interface ServerLimits {
  /** Time allowed for a request's headers to arrive. */
  readonly headersTimeoutMs: number;
  /** Time allowed for a whole request (headers and body) to arrive. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  readonly keepAliveTimeoutMs: number;
  /** Connections open at once; more are refused at accept (file descriptors are finite). */
  readonly maxConnections: number;
  /** Connections open at once from one client address (0: no limit); more are closed at accept. */
  readonly maxConnectionsPerAddress: number;
  /** How long shutdown waits for requests in flight before closing their connections. */
  readonly shutdownTimeoutMs: number;
}

/** The server's limits, from the environment as src/config.ts parsed and checked it. */
export function serverLimits(parsed: Env): ServerLimits {
  return {
    headersTimeoutMs: parsed.CUSTGATE_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: parsed.CUSTGATE_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: parsed.CUSTGATE_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: parsed.CUSTGATE_MAX_CONNECTIONS,
    maxConnectionsPerAddress: parsed.CUSTGATE_MAX_CONNECTIONS_PER_ADDRESS,
    shutdownTimeoutMs: parsed.CUSTGATE_SHUTDOWN_TIMEOUT_MS,
  };
}

/**
 * One address may hold at most `max` connections: a client that opens many and sends its headers
 * or body slowly is cut off at accept past its share, instead of filling maxConnections and
 * starving every other client (Node's own cap refuses whoever comes next, the victims included).
 */
export function limitConnectionsPerAddress(server: Server, max: number): void {
  if (max === 0) return;
  const open = new AddressSlots(max);
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined) return;
    if (!open.enter(address)) {
      socket.destroy();
      return;
    }
    socket.once('close', () => open.leave(address));
  });
}
