import * as v from 'valibot';
import type { Action, AnyDialect, IssuedCredentials } from '../contract/dialect.ts';
import type { Store, UpstreamMode, UpstreamRow } from '../store/index.ts';
import { type Keyring, openCredentials } from './secrets.ts';

// What an upstream's credentials lack for the mode it serves in, said when it is added, changes
// mode or is promoted: by the CLI on stderr and in `--json`, by the gateway API in the answer's
// `warnings` (docs/gateway-api.md). Said, not refused: a narrower token is the owner's choice.

/** What adding or changing an upstream needs beside the store: the secrets key and the gateway's dialects. */
export interface UpstreamAdmin {
  readonly keyring: Keyring;
  readonly dialects: readonly AnyDialect[];
}

/**
 * What each mode asks of the provider: a proxy reads, writes and deletes there as the system of
 * record; a mirror delivers creates, updates and deletes; a shadow also reads each one back
 * (docs/migrating.md).
 */
const actionsOf = {
  proxy: ['read', 'create', 'update', 'delete'],
  mirror: ['create', 'update', 'delete'],
  shadow: ['read', 'create', 'update', 'delete'],
} as const satisfies Record<UpstreamMode, readonly Action[]>;

/**
 * Why an upstream in `mode` will fail some requests with these credentials: the provider's
 * permissions the credentials lack, where the dialect can read its credentials' grants (Connhex's
 * token). Said, not refused: a narrower token is the owner's choice.
 */
export function grantWarnings(dialect: AnyDialect, credentials: IssuedCredentials, mode: UpstreamMode): string[] {
  const missing = dialect.client.missingGrants?.(credentials, actionsOf[mode]) ?? [];
  if (missing.length === 0) return [];
  const missed = missing.join(', ');
  return [
    `The ${dialect.name} credentials lack ${missed}, which a ${mode} upstream needs: the provider will refuse ` +
      'those requests (a proxied one answers 502, a delivery stays pending). Give the token them too ' +
      `(a custgate provider mints one with: custgate token mint <tenant> --dialect ${dialect.name} --permissions <its permissions>,${missing.join(',')}).`,
  ];
}

/**
 * `grantWarnings` for a stored upstream about to serve in `mode` (a mode change, a promotion): the
 * same warning `upstream add` gives, since a token fit for a mirror may lack what a proxy needs.
 * Nothing when the dialect cannot read grants or the credentials do not open (`upstream list` says so).
 */
export async function storedGrantWarnings(admin: UpstreamAdmin, row: UpstreamRow, mode: UpstreamMode): Promise<string[]> {
  const dialect = admin.dialects.find((d) => d.name === row.dialect);
  if (dialect?.client.missingGrants === undefined) return [];
  let credentials: unknown;
  try {
    credentials = JSON.parse((await openCredentials(admin.keyring, row)).plaintext);
  } catch {
    return [];
  }
  const parsed = v.safeParse(dialect.client.credentials, credentials);
  return parsed.success ? grantWarnings(dialect, parsed.output, mode) : [];
}

/**
 * The upstream as it now serves, with `warnings` when its credentials lack what its mode needs
 * (none: the view as it was). One answer for `upstream mode|promote` and PATCH/promote on
 * /gateway/v1/upstreams/{id}.
 */
export async function withGrantWarnings<U extends { readonly id: string; readonly tenant_id: string; readonly mode: UpstreamMode }>(
  store: Store,
  admin: UpstreamAdmin,
  view: U,
): Promise<U & { readonly warnings?: readonly string[] }> {
  const row = await store.upstreams.find(view.tenant_id, view.id);
  const warnings = row ? await storedGrantWarnings(admin, row, view.mode) : [];
  return warnings.length > 0 ? { ...view, warnings } : view;
}
