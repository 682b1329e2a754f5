import type { Context } from 'hono';

/** Workers: keeps the isolate alive for work after the response; Node has no execution context. */
export function waitUntilOf(c: Context): ((promise: Promise<unknown>) => void) | undefined {
  // @hono/node-server passes its {incoming, outgoing} as the env and never an execution context;
  // asking Hono for one would throw and catch an Error (with its stack) on every write.
  if ((c.env as { incoming?: unknown } | undefined)?.incoming !== undefined) return undefined;
  try {
    const ctx = c.executionCtx;
    return ctx.waitUntil.bind(ctx);
  } catch {
    return undefined;
  }
}
