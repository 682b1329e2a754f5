import type { Store } from '../store/index.ts';
import { hasLiveMode } from '../store/tenant-admin.ts';

// How an upstream's base URL is shown (docs/gateway-api.md, "Who may change an upstream"). A
// provider's URL may carry a token in its path (`https://api.example.com/t/<token>/`), and rows
// stored before `upstream add` refused a user, password or query (upstream-input.ts) may carry one
// there: a listing never shows a user or password. A live key and the operator's CLI see the rest
// as it was set; a test key of a tenant that has anything live, which may change no upstream
// (src/http/upstream-keys.ts), sees which provider it is, its origin, and `…` for the rest.

/** Stands for what is not shown. */
const redacted = '…';

const parsed = (text: string): URL | undefined => {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
};

/** The base URL as set, without a user or password. */
export function baseUrlShown(text: string): string {
  const url = parsed(text);
  if (!url) return redacted;
  if (url.username === '' && url.password === '') return text;
  // Rebuilt from its parts, not `href` (which adds a `/` to a bare origin the stored form lacks).
  return `${url.protocol}//${url.host}${url.pathname === '/' && !text.endsWith('/') ? '' : url.pathname}${url.search}${url.hash}`;
}

/** The origin only: a path, query or fragment after it is `…`. */
export function baseUrlOrigin(text: string): string {
  const url = parsed(text);
  if (!url) return redacted;
  const more = (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '';
  return more ? `${url.origin}/${redacted}` : url.origin;
}

/**
 * Whether a key of `livemode` is shown what only a key that may change the tenant's upstreams
 * needs (src/http/upstream-keys.ts): a live key, or any key while the tenant has nothing live
 * (its test keys are all it has). The others see an upstream's origin only, and a reconciliation
 * without the provider's ids that no customer here is linked to.
 */
export async function seesUpstreamsWhole(store: Store, tenantId: string, livemode: boolean): Promise<boolean> {
  return livemode || !(await hasLiveMode(store, tenantId));
}

/** The view with its base URL as a key sees it (`whole`: seesUpstreamsWhole). */
export const baseUrlFor = <V extends { readonly base_url: string }>(view: V, whole: boolean): V =>
  whole ? view : { ...view, base_url: baseUrlOrigin(view.base_url) };
