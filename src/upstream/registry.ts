import * as v from 'valibot';
import { randomBase62 } from '../core/index.ts';
import { GatewayError } from '../contract/errors.ts';
import { type Store, type UpstreamMode, type UpstreamRow, upstreamModes } from '../store/index.ts';
import { dialectOf } from './client.ts';
import { type Keyring, sealCredentials } from './secrets.ts';

// Adding, listing and removing a tenant's upstreams (CLI `custgate upstream …`, GET
// /gateway/v1/upstreams). Credentials go in encrypted and never come out in a listing.

export interface UpstreamInput {
  readonly dialect: string;
  readonly baseUrl: string;
  readonly mode: string;
  /** Shaped exactly as the dialect's entry of `custgate tenant create --json`. */
  readonly credentials: unknown;
}

/** An upstream as listings show it: everything but its credentials. */
export interface UpstreamView {
  readonly id: string;
  readonly tenant_id: string;
  readonly dialect: string;
  readonly base_url: string;
  readonly mode: UpstreamMode;
  readonly created_at: string;
}

export const upstreamView = (row: UpstreamRow): UpstreamView => ({
  id: row.id,
  tenant_id: row.tenant_id,
  dialect: row.dialect,
  base_url: row.base_url,
  mode: row.mode as UpstreamMode,
  created_at: row.created_at,
});

const invalid = (path: string, message: string) =>
  new GatewayError('invalid_request', message, { issues: [{ path: [path], kind: 'value', message }] });

function baseUrlOf(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('base_url', `Not a URL: ${text}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('base_url', 'The base URL must be http:// or https://.');
  if (url.username || url.password || url.search || url.hash) {
    throw invalid('base_url', 'The base URL takes no user, password, query or fragment: credentials go in --credentials.');
  }
  return url.href.replace(/\/+$/, '');
}

export async function addUpstream(
  store: Store,
  keyring: Keyring,
  tenantId: string,
  input: UpstreamInput,
  now = new Date(),
): Promise<UpstreamView> {
  let dialect: ReturnType<typeof dialectOf>;
  try {
    dialect = dialectOf(input.dialect);
  } catch (error) {
    throw invalid('dialect', (error as Error).message);
  }
  const mode = upstreamModes.find((m) => m === input.mode);
  if (!mode) throw invalid('mode', `Unknown mode ${input.mode}: one of ${upstreamModes.join(', ')}.`);
  const parsed = v.safeParse(dialect.client.credentials, input.credentials);
  if (!parsed.success) {
    const expected = JSON.stringify(Object.keys(await dialect.auth.issueCredentials(sampleMinter)));
    throw invalid(
      'credentials',
      `The ${dialect.name} credentials are not in the shape of its \`tenant create --json\` entry (${expected}): ${parsed.issues[0].message}`,
    );
  }
  if (mode === 'proxy' && (await store.upstreams.byMode(tenantId, 'proxy')).length > 0) {
    throw new GatewayError('conflict', 'This tenant already has a proxy upstream: one system of record at a time.', { field: 'mode' });
  }
  const id = `ups_${randomBase62(20)}`;
  const binding = { id, tenant_id: tenantId, dialect: dialect.name, base_url: baseUrlOf(input.baseUrl) };
  const row: UpstreamRow = {
    ...binding,
    mode,
    credentials: await sealCredentials(keyring, binding, JSON.stringify(parsed.output)),
    created_at: now.toISOString(),
  };
  await store.upstreams.insert(row);
  return upstreamView(row);
}

export async function listUpstreams(store: Store, tenantId: string): Promise<UpstreamView[]> {
  return (await store.upstreams.list(tenantId)).map(upstreamView);
}

/** Only to name the credential keys in an error: mints nothing. */
const sampleMinter = {
  tenantId: 'tenant',
  tenantName: 'tenant',
  livemode: false,
  apiKey: async (_kind: string, prefix: string) => prefix,
  jwt: async () => 'jwt',
};
