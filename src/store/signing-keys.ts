import { queryBuilder } from './compiler.ts';
import type { Store } from './store.ts';

// A tenant's JWT signing key replaced with an overlap (CLI `tenant rotate-signing-key`): the new
// key goes into signing_keys, the replaced one is kept beside the gateway's other keys
// (gateway_keys, so exports leave it out unless --with-keys) with the moment it retires. Until
// then tokens signed with either verify; after it, only the new key's.

export interface RetiringKey {
  readonly secret: string;
  /** ISO time after which the key no longer verifies. */
  readonly until: string;
}

const retiringName = (tenantId: string) => `signing-retiring:${tenantId}`;

export async function findRetiringSigningKey(store: Store, tenantId: string): Promise<RetiringKey | undefined> {
  const db = queryBuilder(store.executor.backend);
  const rows = await store.executor.all(db.selectFrom('gateway_keys').select('value').where('name', '=', retiringName(tenantId)).compile());
  const value = rows[0]?.value;
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<RetiringKey>;
    return typeof parsed.secret === 'string' && typeof parsed.until === 'string'
      ? { secret: parsed.secret, until: parsed.until }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes `secret` the tenant's signing key, in one atomic unit; the key it replaces (if any) keeps
 * verifying until `retireAt` (not at all when that is not after `now`).
 */
export async function replaceSigningKey(
  store: Store,
  tenantId: string,
  secret: string,
  retireAt: Date,
  now: Date,
): Promise<RetiringKey | undefined> {
  const db = queryBuilder(store.executor.backend);
  const current = await store.findSigningKey(tenantId);
  const retiring = current && retireAt > now ? { secret: current.secret, until: retireAt.toISOString() } : undefined;
  const at = now.toISOString();
  await store.executor.atomic([
    { query: db.deleteFrom('gateway_keys').where('name', '=', retiringName(tenantId)).compile() },
    ...(retiring
      ? [
          {
            query: db
              .insertInto('gateway_keys')
              .values({ name: retiringName(tenantId), value: JSON.stringify(retiring), created_at: at })
              .compile(),
          },
        ]
      : []),
    { query: db.deleteFrom('signing_keys').where('tenant_id', '=', tenantId).compile() },
    { query: db.insertInto('signing_keys').values({ tenant_id: tenantId, secret, created_at: at }).compile() },
  ]);
  return retiring;
}
