import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.ts';
import type { AnyDialect } from '../contract/dialect.ts';
import { openStore } from '../open-store.ts';
import { mintToken } from '../gateway/tenants.ts';
import type { LoggedRequest } from '../contract/request-log.ts';
import { findTenant } from '../store/tenant-admin.ts';
import { printAnswer } from './output.ts';
import { localBase } from './tenants.ts';

// `custgate logs tail --tenant t`, after `stripe logs tail`: follows a running gateway's request
// log (GET /gateway/v1/requests), one line per request as it arrives. The log lives in the
// server's memory, so the CLI asks the server, with a short-lived token it signs for the tenant
// from the database (the same DATABASE_URL and CUSTGATE_JWT_SECRET as the server's).

type Env = Readonly<Record<string, string | undefined>>;

const line = (r: LoggedRequest): string =>
  `${r.time}  ${r.status}  ${r.method} ${r.path}  ${r.dialect}  ${r.duration_ms} ms  ${r.request_id ?? '-'}\n`;

const keyOf = (r: LoggedRequest): string => `${r.time} ${r.request_id} ${r.method} ${r.path}`;

/** --interval: whole milliseconds, 100 or more (a faster poll only loads the gateway it watches). */
function intervalMs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100) throw new InvalidArgumentError('not a number of milliseconds, 100 or more');
  return n;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface TailOptions {
  readonly tenant: string;
  readonly url?: string;
  readonly status?: string;
  readonly path?: string;
  readonly json?: boolean;
  readonly live?: boolean;
  readonly interval: number;
}

export function registerLogsCommands(program: Command, env: Env, all: readonly AnyDialect[]): void {
  // The gateway API takes any credential of the tenant; a dialect's JWT alone may not do (Bigcapital's
  // needs an organization-id beside it), so each dialect that mints one is tried on the first request.
  const minting = all.filter((d) => d.auth.issueToken !== undefined);
  program
    .command('logs')
    .description("a running gateway's request log")
    .command('tail')
    .description("follow a tenant's requests through any dialect as they arrive (Ctrl-C stops)")
    .requiredOption('--tenant <tenant>', 'the tenant (id, or a name only one tenant has)')
    .option('--url <url>', 'the gateway (default: CUSTGATE_URL, else http://localhost:PORT)')
    .option('--status <status>', 'only this status (404) or class (4xx)')
    .option('--path <prefix>', 'only paths starting with this (/zenskar)')
    .option('--json', 'one JSON object per line')
    .option('--live', "the live-mode requests (default: the test-mode ones; a key sees only its own mode's)")
    .option('--interval <ms>', 'how often to ask the gateway, in ms (100 or more)', intervalMs, 1000)
    .action(async (opts: TailOptions) => {
      const base = (opts.url ?? env.CUSTGATE_URL ?? localBase(env)).replace(/\/+$/, '');
      const store = await openStore(env);
      const tokens = await findTenant(store, opts.tenant)
        .then((tenant) =>
          Promise.all(
            minting.map((d) => mintToken(store, loadConfig(env), tenant, d, { ttlSeconds: 12 * 3600, livemode: opts.live === true })),
          ),
        )
        .finally(() => store.executor.close());
      if (tokens.length === 0) throw new Error('no registered dialect mints JWTs, which the gateway API takes');
      const query = new URLSearchParams({ limit: '100' });
      if (opts.status) query.set('status', opts.status);
      if (opts.path) query.set('path', opts.path);
      let seen = new Set<string>();
      // Plain fetch: this asks the operator's own gateway, not an upstream provider, once a second;
      // the upstream transport's bounds (and its error that names no host) are not wanted here.
      const ask = (token: string) =>
        fetch(`${base}/gateway/v1/requests?${query}`, { headers: { authorization: `Bearer ${token}` } }).catch((error: Error) => {
          throw new Error(`cannot reach the gateway at ${base} (${error.message}); give --url or CUSTGATE_URL`);
        });
      let [token] = tokens as [string, ...string[]];
      let res = await ask(token);
      for (const next of tokens.slice(1)) {
        if (res.status !== 401) break;
        token = next;
        res = await ask(token);
      }
      for (let first = true; ; first = false) {
        if (!first) res = await ask(token);
        const body = (await res.json().catch(() => null)) as { data?: LoggedRequest[]; error?: { message?: string } } | null;
        if (!res.ok || !body?.data) throw new Error(`${base}/gateway/v1/requests answered ${res.status}: ${body?.error?.message ?? ''}`);
        if (first)
          process.stderr.write(`Following ${opts.tenant}'s ${opts.live ? 'live' : 'test'}-mode requests at ${base} (Ctrl-C stops)\n`);
        // Newest first from the server; printed oldest first, each once. What left the server's
        // last 100 cannot come back, so only this answer's entries need remembering.
        const batch = body.data.toReversed();
        for (const entry of batch) if (!seen.has(keyOf(entry))) printAnswer(opts.json, entry, () => line(entry));
        seen = new Set(batch.map(keyOf));
        await sleep(opts.interval);
      }
    });
}
