import type { Store } from '../store/index.ts';

// Probes answer without credentials and say nothing about tenants: only whether this process can
// reach its database.

const pingTimeoutMs = 2000;

/** Whether the database answered a round trip within the timeout. */
export async function databaseReachable(store: Store): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), pingTimeoutMs);
  });
  try {
    return await Promise.race([store.ping().then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
