import { GatewayError } from '../contract/errors.ts';
import type { UpstreamRow } from '../store/index.ts';
import { type Keyring, openCredentials } from './secrets.ts';

// An upstream whose stored credentials this gateway cannot open (a changed CUSTGATE_SECRETS_KEY,
// or a row edited or moved): named to its caller as the operator's to fix, reported once per row
// version and process, and listed by health and `upstream list` (client.ts opens them).

/** The error a caller gets: the operator's to fix (no retry will help), named by upstream. */
export const unreadableCredentials = (upstreamId: string) =>
  new GatewayError(
    'bad_gateway',
    `The credentials of upstream ${upstreamId} cannot be read by this gateway (its secrets key, or the upstream's tenant, dialect or base URL, changed since they were entered); the operator must enter them again.`,
  );

const rowKey = (row: UpstreamRow) => [row.id, row.tenant_id, row.dialect, row.base_url, row.credentials].join('\n');
const reported = new Set<string>();
const readable = new Map<string, Promise<boolean>>();

/** Whether each row's credentials open with this keyring, remembered per row version (health, `upstream list`). */
export async function unreadableUpstreams(keyring: Keyring, rows: readonly UpstreamRow[]): Promise<string[]> {
  const checks = rows.map(async (row) => {
    const key = rowKey(row);
    let ok = readable.get(key);
    if (!ok) {
      if (readable.size > 10_000) readable.clear();
      ok = openCredentials(keyring, row).then(
        () => true,
        () => false,
      );
      readable.set(key, ok);
    }
    return (await ok) ? undefined : row.id;
  });
  return (await Promise.all(checks)).filter((id): id is string => id !== undefined);
}

/**
 * The error for a row whose credentials did not open, reported first (once per row version and
 * process; never retried into): to `logger`, else as JSON on stderr.
 */
export function reportUnreadable(
  row: UpstreamRow,
  logger: { error(event: string, fields: Readonly<Record<string, unknown>>): void } | undefined,
): GatewayError {
  const key = rowKey(row);
  if (!reported.has(key)) {
    if (reported.size > 10_000) reported.clear();
    reported.add(key);
    const fields = { upstream: row.id, tenant: row.tenant_id, dialect: row.dialect };
    if (logger) logger.error('upstream_credentials_unreadable', fields);
    else
      console.error(
        JSON.stringify({ level: 'error', time: new Date().toISOString(), event: 'upstream_credentials_unreadable', ...fields }),
      );
  }
  return unreadableCredentials(row.id);
}
