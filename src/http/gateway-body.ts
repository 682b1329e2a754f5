import { GatewayError } from '../contract/errors.ts';

// The gateway's own API (its webhook endpoints, simulate rules, resend) reads JSON objects of a few
// named parameters. A parameter it does not take is refused, naming it and what the call takes: a
// typo (`enabled_event`, `endpointt`) read as absent would do what the caller did not ask for (an
// endpoint sent every event, an event resent to every endpoint) and still answer 2xx.

/** `body` when each of its parameters is one of `taken`; otherwise a 400 naming the first that is not. */
export function onlyParameters<T extends Record<string, unknown>>(body: T, taken: readonly string[]): T {
  const unknown = Object.keys(body).find((key) => !taken.includes(key));
  if (unknown === undefined) return body;
  const message = `Unknown parameter: ${unknown}; this call takes ${taken.join(', ')}.`;
  throw new GatewayError('invalid_request', message, { issues: [{ path: [unknown], kind: 'unknown', message }] });
}

/** A refusal of one parameter's value, naming it. */
export function badParameter(name: string, message: string): GatewayError {
  return new GatewayError('invalid_request', message, { issues: [{ path: [name], kind: 'value', message }] });
}
