import { queryBuilder } from './compiler.ts';
import type { SqlExecutor } from './executor.ts';
import type { SigningKeyRow } from './hot-queries.ts';

// A tenant's JWT signing key replaced with an overlap (CLI `tenant rotate-signing-key`): the new
// key goes into signing_keys, the replaced one is kept beside the gateway's other keys
// (gateway_keys, so exports leave it out unless --with-keys) with the moment it retires. Until
// then tokens signed with either verify; after it, only the new key's.

export interface RetiringKey {
  readonly secret: string;
  /** ISO time after which the key no longer verifies. */
  readonly until: string;
}

/** What of the store a rotation reads and writes (the Store itself; narrow, as store.ts calls in here). */
export interface SigningKeyStore {
  readonly executor: SqlExecutor;
  findSigningKey(tenantId: string): Promise<SigningKeyRow | undefined>;
}

const retiringName = (tenantId: string) => `signing-retiring:${tenantId}`;

export async function findRetiringSigningKey(store: SigningKeyStore, tenantId: string): Promise<RetiringKey | undefined> {
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
  store: SigningKeyStore,
  tenantId: string,
  secret: string,
  retireAt: Date,
  now: Date,
): Promise<RetiringKey | undefined> {
  const db = queryBuilder(store.executor.backend);
  const current = await store.findSigningKey(tenantId);
  const retiring = current && retireAt > now ? { secret: current.secret, until: retireAt.toISOString() } : undefined;
  const at = now.toISOString();
  // One statement per table: PostgreSQL runs an atomic unit's statements against one snapshot,
  // so a delete and an insert of the same key in it would collide.
  const retiringStep = retiring
    ? db
        .insertInto('gateway_keys')
        .values({ name: retiringName(tenantId), value: JSON.stringify(retiring), created_at: at })
        .onConflict((oc) => oc.column('name').doUpdateSet({ value: JSON.stringify(retiring), created_at: at }))
        .compile()
    : db.deleteFrom('gateway_keys').where('name', '=', retiringName(tenantId)).compile();
  const keyStep = db
    .insertInto('signing_keys')
    .values({ tenant_id: tenantId, secret, created_at: at })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ secret, created_at: at }))
    .compile();
  await store.executor.atomic([{ query: retiringStep }, { query: keyStep }]);
  return retiring;
}
