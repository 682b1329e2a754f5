import { keptVia, randomBase62 } from '../core/index.ts';
import type { UpstreamRepository } from '../store/index.ts';
import { type Transport, transportOf } from './http.ts';
import type { AnyDialect } from '../contract/dialect.ts';

// Loop detection (RFC 9110 §7.6.3, Via): every request to an upstream names this gateway in `Via`;
// a request that arrives already naming it has gone round (an upstream that points back here)
// and is refused with 508 before it can go round again. The id is per database, so every process
// of one deployment recognises the others' requests as its own.

const pseudonym = (id: string) => `custgate-${id}`;

/** The gateway's id: generated once and kept in the database (the first process to ask wins). */
export function gatewayIdOf(upstreams: Pick<UpstreamRepository, 'keepKey'>): () => Promise<string> {
  let id: Promise<string> | undefined;
  return () => {
    id ??= upstreams.keepKey('gateway-id', randomBase62(16), new Date().toISOString()).catch((error: unknown) => {
      id = undefined;
      throw error;
    });
    return id;
  };
}

/** This gateway's entry in a Via header. */
export const viaOf = (id: string): string => `1.1 ${pseudonym(id)}`;

/**
 * The Via a request carried onwards names: the hops it arrived through, then this gateway, as an
 * HTTP proxy appends itself (RFC 9110 §7.6.3). So A → B → A is seen at A, not only A → A.
 * Bounded: a chain past 1,000 characters keeps its last hops (a loop is found within two).
 */
export function viaAfter(arrived: string | undefined, id: string): string {
  const hops = keptVia(arrived);
  return hops === undefined ? viaOf(id) : `${hops}, ${viaOf(id)}`;
}

/** Whether a Via header (a comma-separated list of `protocol pseudonym [comment]`) names this gateway. */
export function passedThrough(via: string | undefined, id: string): boolean {
  if (via === undefined) return false;
  return via.split(',').some((hop) => hop.trim().split(/\s+/)[1] === pseudonym(id));
}

export const loopMessage = 'This request has already passed through this gateway: an upstream points back at it.';

/**
 * Whether `baseUrl` is this gateway (or another process on its database): one request there, as
 * the dialect's client half would send it, naming this gateway in Via. Unreachable or slow: not
 * known to be this gateway. Only the status is read.
 */
export async function pointsAtThisGateway(
  dialect: AnyDialect,
  baseUrl: string,
  id: string,
  options: { readonly timeoutMs: number; readonly transport?: Transport | undefined },
): Promise<boolean> {
  const request = dialect.client.retrieve('cus_loopprobe', {});
  try {
    const answer = await transportOf(options)(`${baseUrl.replace(/\/+$/, '')}${request.path}`, {
      method: 'GET',
      headers: { via: viaOf(id) },
      timeoutMs: options.timeoutMs,
      maxAnswerBytes: 0,
      discardAnswer: true,
    });
    return answer.status === 508;
  } catch {
    return false;
  }
}
