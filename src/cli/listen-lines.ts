import { InvalidArgumentError } from 'commander';

// What `custgate listen` takes and prints, as `stripe listen` does
// (https://docs.stripe.com/cli/listen; stripe-cli's pkg/proxy and pkg/cmd/listen.go).

const scheme = /^([a-z][a-z0-9+.-]*):(?!\d)/i;

/**
 * `--forward-to`: an http(s) URL, or what the Stripe CLI takes for one, sent over http: a host with
 * no scheme (`localhost:4242/webhook`), a port alone (`4242`: localhost), a path alone (`/hooks`:
 * localhost). `host:port` is told from a scheme by the digit after its colon. Any other scheme, and
 * what is no URL once completed, is refused here, naming what was given.
 */
export function forwardUrl(given: string): string {
  const text = given.trim();
  const refuse = (why: string) =>
    new InvalidArgumentError(
      `${why}; give an http:// or https:// URL, or a host and path sent over http (localhost:4242/webhook), as stripe listen takes them.`,
    );
  const named = scheme.exec(text)?.[1]?.toLowerCase();
  if (named !== undefined && !((named === 'http' || named === 'https') && text.slice(named.length + 1).startsWith('//'))) {
    throw refuse(named === 'http' || named === 'https' ? `${named}: needs // after it` : `${named}: is not http or https`);
  }
  const completed =
    named !== undefined
      ? text
      : /^\d{1,5}$/.test(text)
        ? `http://localhost:${text}`
        : text.startsWith('/')
          ? `http://localhost${text}`
          : `http://${text}`;
  let url: URL;
  try {
    url = new URL(completed);
  } catch {
    throw refuse('not a URL');
  }
  if (url.hostname === '') throw refuse('no host');
  if (url.username !== '' || url.password !== '') throw refuse('credentials in a URL are not sent');
  return completed;
}

/** Stripe's `2006-01-02 15:04:05`, in this machine's time, as the Stripe CLI prints it. */
export function localTime(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
}

export interface Forwarded {
  readonly at: Date;
  readonly type: string;
  readonly eventId: string;
  readonly url: string;
  /** The receiver's status; null when it gave no answer (`error` says why). */
  readonly status: number | null;
  readonly error: string | null;
}

/** The two lines a forward is printed as: the event sent, then the receiver's answer (or why there was none). */
export function forwardedLines(f: Forwarded): readonly [string, string] {
  const time = localTime(f.at);
  const sent = `${time}   --> ${f.type} [${f.eventId}]`;
  if (f.status !== null) return [sent, `${time}  <--  [${f.status}] POST ${f.url} [${f.eventId}]`];
  return [sent, `${time}            [ERROR] Failed to POST: ${f.error ?? 'no answer'} [${f.eventId}]`];
}
