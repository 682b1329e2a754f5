import { randomBase62 } from '../core/index.ts';
import type { AnyDialect, BodyFormat } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import {
  type Store,
  UniqueViolation,
  type UpstreamHistoryRow,
  type UpstreamMode,
  type UpstreamRow,
  upstreamModes,
} from '../store/index.ts';
import { baseUrlShown } from './base-url-shown.ts';
import { dialectOf } from './client.ts';
import { unreadableUpstreams } from './unreadable-credentials.ts';
import { grantWarnings, type UpstreamAdmin } from './grants.ts';
import { sealWebhookSecret } from './inbound-format.ts';
import { type Keyring, sealCredentials } from './secrets.ts';
import { baseUrlOf, credentialsOf, invalid } from './upstream-input.ts';

export { invalid } from './upstream-input.ts';

// Adding, listing, changing and removing a tenant's upstreams (CLI `custgate upstream …`,
// /gateway/v1/upstreams). Credentials go in encrypted and never come out in a listing. A mode
// changes in place and a removed upstream comes back when the same provider is added again, so
// the links (which customer is which at the provider) survive a cut-over.

export interface UpstreamInput {
  readonly dialect: string;
  readonly baseUrl: string;
  readonly mode: string;
  /** Shaped exactly as the dialect's entry of `custgate tenant create --json`. */
  readonly credentials: unknown;
  /** The request body encoding: `json` (the default) or `form`, for dialects that take Stripe's form. */
  readonly encoding?: string | undefined;
  /** The secret the provider signs its webhooks with (POST /gateway/v1/upstreams/{id}/webhook). */
  readonly webhookSecret?: string | undefined;
}

/** An upstream as listings show it: everything but its credentials. */
export interface UpstreamView {
  readonly id: string;
  readonly tenant_id: string;
  readonly dialect: string;
  readonly base_url: string;
  readonly mode: UpstreamMode;
  readonly encoding: BodyFormat;
  /** Whether it takes the provider's signed webhooks (a secret was given). */
  readonly webhooks_in: boolean;
  readonly created_at: string;
}

/** One step of an upstream's history as the API shows it. */
export interface UpstreamStepView {
  readonly event: string;
  readonly mode: UpstreamMode;
  readonly previous_mode: UpstreamMode | null;
  readonly detail: string | null;
  readonly at: string;
}

export const stepView = (row: UpstreamHistoryRow): UpstreamStepView => ({
  event: row.event,
  mode: row.mode as UpstreamMode,
  previous_mode: row.previous_mode as UpstreamMode | null,
  detail: row.detail,
  at: row.created_at,
});

let lastStepMs = 0;
let stepsThisMs = 0;

/**
 * A history step's id, after every one this process made before: steps made in the same
 * millisecond (a reconciliation recorded and a promotion checking it) tie on created_at, and the
 * history is ordered by created_at, then id. A random id put them in either order, and a promotion
 * could read an earlier reconciliation as the last one.
 */
function stepId(now: Date): string {
  const ms = now.getTime();
  stepsThisMs = ms === lastStepMs ? stepsThisMs + 1 : 0;
  lastStepMs = ms;
  return `uph_${ms.toString(36).padStart(9, '0')}${stepsThisMs.toString(36).padStart(4, '0')}${randomBase62(8)}`;
}

/** A line of an upstream's history: `added`, `mode`, `removed`, `restored`, or a later kind of step. */
export function historyStep(
  upstream: Pick<UpstreamRow, 'id' | 'tenant_id'>,
  event: string,
  mode: UpstreamMode,
  previous: UpstreamMode | null,
  now: Date,
  detail: string | null = null,
): UpstreamHistoryRow {
  return {
    id: stepId(now),
    upstream_id: upstream.id,
    tenant_id: upstream.tenant_id,
    event,
    mode,
    previous_mode: previous,
    detail,
    created_at: now.toISOString(),
  };
}

export const upstreamView = (row: UpstreamRow): UpstreamView => ({
  id: row.id,
  tenant_id: row.tenant_id,
  dialect: row.dialect,
  base_url: baseUrlShown(row.base_url),
  mode: row.mode as UpstreamMode,
  encoding: row.encoding === 'form' ? 'form' : 'json',
  // A secret is sealed only for a dialect that sends webhooks (sealWebhookSecret).
  webhooks_in: typeof row.webhook_secret === 'string',
  created_at: row.created_at,
});

/**
 * JSON unless asked otherwise: every provider's reference documents JSON bodies (Wooshpay's
 * application/json only). Stripe's form is kept for a Stripe-compatible provider that needs it,
 * and only for a dialect whose API takes it.
 */
function encodingOf(dialect: AnyDialect, text: string | undefined): BodyFormat {
  if (text === undefined || text === 'json') return 'json';
  if (text !== 'form') throw invalid('encoding', `Unknown encoding ${text}: json or form.`);
  if (!dialect.wire.bodies.includes('form')) throw invalid('encoding', `The ${dialect.name} API takes JSON bodies only.`);
  return 'form';
}

const modeOf = (text: string): UpstreamMode => {
  const mode = upstreamModes.find((m) => m === text);
  if (!mode) throw invalid('mode', `Unknown mode ${text}: one of ${upstreamModes.join(', ')}.`);
  return mode;
};

const oneProxy = () =>
  new GatewayError('conflict', 'This tenant already has a proxy upstream: one system of record at a time.', { field: 'mode' });

/** `write`, a second proxy stored meanwhile (by a request at the same time) refused as the check before it refuses one. */
async function oneProxyAtOnce<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof UniqueViolation && error.target === 'proxy') throw oneProxy();
    throw error;
  }
}

export type { UpstreamAdmin };

export async function addUpstream(
  store: Store,
  admin: UpstreamAdmin,
  tenantId: string,
  input: UpstreamInput,
  now = new Date(),
  options: {
    /** Run once the input is valid, before anything is stored (the loop check of add-checked.ts): a throw stores nothing. */
    readonly beforeStore?: (dialect: AnyDialect, baseUrl: string) => Promise<void>;
  } = {},
): Promise<UpstreamView & { readonly warnings?: readonly string[] }> {
  const { keyring } = admin;
  let dialect: AnyDialect;
  try {
    dialect = dialectOf(admin.dialects, input.dialect);
  } catch (error) {
    throw invalid('dialect', (error as Error).message);
  }
  const mode = modeOf(input.mode);
  const encoding = encodingOf(dialect, input.encoding);
  const expectedKeys = async () => JSON.stringify(Object.keys(await dialect.auth.issueCredentials(sampleMinter)));
  const parsed = await credentialsOf(dialect, input.credentials, expectedKeys);
  if (mode === 'proxy' && (await store.upstreams.byMode(tenantId, 'proxy')).length > 0) throw oneProxy();
  const baseUrl = baseUrlOf(input.baseUrl);
  await options.beforeStore?.(dialect, baseUrl);
  const removed = await store.upstreams.findRemoved(tenantId, dialect.name, baseUrl);
  const id = removed?.id ?? `ups_${randomBase62(20)}`;
  const binding = { id, tenant_id: tenantId, dialect: dialect.name, base_url: baseUrl };
  const row: UpstreamRow = {
    ...binding,
    mode,
    credentials: await sealCredentials(keyring, binding, parsed.json),
    webhook_secret: input.webhookSecret === undefined ? null : await sealWebhookSecret(keyring, dialect, binding, input.webhookSecret),
    created_at: removed?.created_at ?? now.toISOString(),
    removed_at: null,
    encoding,
  };
  if (removed) {
    const step = historyStep(row, 'restored', mode, removed.mode as UpstreamMode, now);
    if (!(await oneProxyAtOnce(store.upstreams.restore(row, step))))
      throw new GatewayError('conflict', 'This upstream was restored meanwhile.');
  } else {
    await oneProxyAtOnce(store.upstreams.insert(row, historyStep(row, 'added', mode, null, now)));
  }
  const warnings = grantWarnings(dialect, parsed.output, mode);
  return warnings.length > 0 ? { ...upstreamView(row), warnings } : upstreamView(row);
}

const noSuchUpstream = (id: string) => new GatewayError('not_found', `No such upstream: '${id}'`, { reference: id });

/**
 * Changes an upstream's mode in place: its id, links and history stay, so a mirror that becomes
 * the proxy goes on updating the customers it already created. `event` names the step in the
 * history (`mode`, or a caller's own, such as a promotion).
 */
export async function changeMode(
  store: Store,
  tenantId: string,
  id: string,
  target: string,
  now = new Date(),
  options: { readonly event?: string; readonly detail?: string; readonly promoted?: boolean } = {},
): Promise<UpstreamView> {
  const mode = modeOf(target);
  const row = await store.upstreams.find(tenantId, id);
  if (!row) throw noSuchUpstream(id);
  const previous = row.mode as UpstreamMode;
  if (previous === mode) return upstreamView(row);
  if (mode === 'proxy' && (await store.upstreams.byMode(tenantId, 'proxy')).some((u) => u.id !== id)) throw oneProxy();
  // A delivery still pending may be a create the provider committed without its answer reaching
  // us: the proxy's first write of that customer would create it there again (under another
  // Idempotency-Key). Promote weighs this with its other blockers (cut-over.ts, `--force`); a
  // plain mode change waits for the outbox, as the cut-over says to.
  if (mode === 'proxy' && options.promoted !== true) {
    const { pending, dead } = await store.outbox.counts(tenantId, id);
    if (pending + dead > 0) {
      throw new GatewayError(
        'conflict',
        `Upstream ${id} cannot become the proxy while ${pending} pending and ${dead} dead deliveries to it are not delivered: a create among them may be at the provider without its link, and the proxy would create that customer again. Let the outbox drain (custgate outbox list), or use upstream promote --force.`,
        { field: 'mode' },
      );
    }
  }
  const step = historyStep(row, options.event ?? 'mode', mode, previous, now, options.detail ?? null);
  if (!(await oneProxyAtOnce(store.upstreams.setMode(tenantId, id, mode, step)))) throw noSuchUpstream(id);
  return upstreamView({ ...row, mode });
}

/** Sets the secret an upstream's provider signs its webhooks with (null: take no webhooks from it). */
export async function setWebhookSecret(
  store: Store,
  admin: UpstreamAdmin,
  tenantId: string,
  id: string,
  secret: string | null,
  /** The member a refusal names: `secret` in PUT …/webhook-secret's body. */
  field?: string,
): Promise<void> {
  const row = await store.upstreams.find(tenantId, id);
  if (!row) throw noSuchUpstream(id);
  const dialect = dialectOf(admin.dialects, row.dialect);
  const sealed = secret === null ? null : await sealWebhookSecret(admin.keyring, dialect, row, secret, field);
  if (!(await store.upstreams.setWebhookSecret(tenantId, id, sealed))) throw noSuchUpstream(id);
}

/** Takes an upstream out of service, keeping its links for an add of the same provider. */
export async function removeUpstream(store: Store, tenantId: string, id: string, now = new Date()): Promise<boolean> {
  const row = await store.upstreams.find(tenantId, id);
  if (!row) return false;
  return store.upstreams.remove(tenantId, id, historyStep(row, 'removed', row.mode as UpstreamMode, row.mode as UpstreamMode, now));
}

/** An upstream with its history (GET /gateway/v1/upstreams/{id}). */
export async function upstreamDetail(store: Store, tenantId: string, id: string) {
  const row = await store.upstreams.find(tenantId, id);
  if (!row) throw noSuchUpstream(id);
  const links = await store.upstreams.linkCount(tenantId, id);
  return { ...upstreamView(row), links, history: (await store.upstreams.history(tenantId, id)).map(stepView) };
}

export async function listUpstreams(store: Store, tenantId: string): Promise<UpstreamView[]> {
  return (await store.upstreams.list(tenantId)).map(upstreamView);
}

/** The listing `upstream list` and GET /gateway/v1/upstreams show: each with whether its credentials open. */
export async function listUpstreamsChecked(store: Store, keyring: Keyring, tenantId: string) {
  const rows = await store.upstreams.list(tenantId);
  const unreadable = new Set(await unreadableUpstreams(keyring, rows));
  return rows.map((row) => ({ ...upstreamView(row), credentials_readable: !unreadable.has(row.id) }));
}

/** Only to name the credential keys in an error: mints nothing. */
const sampleMinter = {
  tenantId: 'tenant',
  tenantName: 'tenant',
  livemode: false,
  apiKey: async (_kind: string, prefix: string) => prefix,
  jwt: async () => 'jwt',
};
