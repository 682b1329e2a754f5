import type { Context } from 'hono';
import type { AnyDialect } from '../contract/dialect.ts';
import { decodeBody } from '../contract/body.ts';
import { GatewayError } from '../contract/errors.ts';
import type { GatewayEnv } from './context.ts';
import type { Runtime } from './runtime.ts';

// The gateway's own API (its webhook endpoints, simulate rules, resend, an upstream's mode, promote
// and demote, an import) reads JSON objects of a few named parameters. A parameter it does not take
// is refused, naming it and what the call takes: a typo (`enabled_event`, `endpointt`) read as
// absent would do what the caller did not ask for (an endpoint sent every event, an event resent to
// every endpoint) and still answer 2xx.

/** The request's body as an object (none, no bytes: empty), in one of the formats, within the body limit. */
export async function bodyObject(
  c: Context<GatewayEnv>,
  rt: Runtime,
  formats: AnyDialect['wire']['bodies'],
): Promise<Record<string, unknown>> {
  const length = c.req.header('content-length');
  if (length === '0' || (length === undefined && !c.req.header('content-type'))) return {};
  const raw = await decodeBody(c.req.raw, formats, rt.config.bodyLimitBytes);
  if (raw === undefined) return {};
  // JSON `null` is a body, not an absent one: refused as an array or a string is, not read as no parameters.
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new GatewayError('invalid_request', 'The body must be an object.');
  return raw as Record<string, unknown>;
}

/** `body` when each of its parameters is one of `taken`; otherwise a 400 naming the first that is not. */
export function onlyParameters<T extends Record<string, unknown>>(body: T, taken: readonly string[]): T {
  const unknown = Object.keys(body).find((key) => !taken.includes(key));
  if (unknown === undefined) return body;
  const takes = taken.length > 0 ? `this call takes ${taken.join(', ')}` : 'this call takes no parameters';
  const message = `Unknown parameter: ${unknown}; ${takes}.`;
  throw new GatewayError('invalid_request', message, { issues: [{ path: [unknown], kind: 'unknown', message }] });
}

/** A refusal of one parameter's value, naming it. */
export function badParameter(name: string, message: string): GatewayError {
  return new GatewayError('invalid_request', message, { issues: [{ path: [name], kind: 'value', message }] });
}
