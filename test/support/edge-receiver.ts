import type { Received } from './webhook-receiver.ts';

// A webhook receiver for the workers project. A Worker cannot listen on a port, and in the
// workers pool the tests share the isolate with src/entries/worker.ts, so the receiver is the
// isolate's global fetch, replaced for one origin: each delivery the Worker sends, in its
// waitUntil or on its cron trigger, is recorded with its exact headers and body and answered
// with the status the test sets. Every other URL goes to the real fetch.

export interface EdgeReceiver {
  /** The base URL to register endpoints under (`${url}/stripe`, …). */
  readonly url: string;
  /** Deliveries answered 2xx, in the order they arrived. */
  readonly received: Received[];
  /** Every request, whatever it was answered. */
  readonly tried: number;
  /** The status the next requests get (default 200). */
  status: number;
  /** Puts the real fetch back. */
  restore(): void;
}

/** `origin`: one per test, so a cron run in one test that sends another test's leftovers is not mistaken for its own. */
export function edgeReceiver(origin: string): EdgeReceiver {
  const real = globalThis.fetch;
  const received: Received[] = [];
  const state = { status: 200, tried: 0 };
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(`${origin}/`)) return real(input, init);
    state.tried++;
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = await request.text();
    if (state.status >= 200 && state.status < 300) received.push({ headers, body, path: new URL(request.url).pathname });
    return new Response('ok', { status: state.status });
  };
  return {
    url: `${origin}/hooks`,
    received,
    get tried() {
      return state.tried;
    },
    get status() {
      return state.status;
    },
    set status(s: number) {
      state.status = s;
    },
    restore: () => {
      globalThis.fetch = real;
    },
  };
}

/** Waits until `done()` holds, polling, for at most `ms`. */
export async function until(done: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}
