import { isGatewayError } from '../contract/errors.ts';
import { openStore } from '../open-store.ts';
import type { Store } from '../store/index.ts';

// What the `custgate upstream` commands (upstream.ts, book.ts) share: the store opened and closed
// around a command, and a tenant named by id or name.

export type Env = Readonly<Record<string, string | undefined>>;

/** A tenant by id, or by name when exactly one tenant has it. */
export async function tenantId(store: Store, ref: string): Promise<string> {
  const byId = await store.findTenant(ref);
  if (byId) return byId.id;
  const named = await store.findTenantsByName(ref);
  if (named.length === 1 && named[0]) return named[0].id;
  throw new Error(named.length === 0 ? `no tenant ${ref}` : `${named.length} tenants are named ${ref}: give the tenant id`);
}

export async function withStore<T>(env: Env, run: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(env);
  try {
    return await run(store);
  } catch (error) {
    // The issues say which part of the input is wrong.
    if (isGatewayError(error) && error.details.issues?.[0]) throw new Error(`${error.details.issues[0].path.join('.')}: ${error.message}`);
    throw error;
  } finally {
    await store.executor.close();
  }
}
