import { applyPatch, uuidPattern } from '../core/index.ts';
import type { ClientCustomer } from '../contract/dialect.ts';
import { GatewayError, isGatewayError } from '../contract/errors.ts';
import { type CustomerRow, createdMark, type ImportConflictRow, type ImportRefusalRow, type UpstreamRow } from '../store/index.ts';
import { fieldDefaults } from '../../schemas/index.ts';
import type { Upstream } from './client.ts';
import type { ImportDeps } from './import.ts';
import { whyRefused } from './list-pages.ts';
import { adoptedIds } from './provider-state.ts';
import { replicasOf } from './tenant-upstreams.ts';

// One customer of an upstream's list, stored and linked by `custgate upstream import`
// (import.ts). A customer whose alias or external_id a local customer already holds is a
// conflict: nothing is merged or overwritten unless the team said they are the same customer
// (`--on-conflict link`); otherwise it is left out and named, and the import goes on.

/** What an import does with such a customer: name it (default), or link the local holder to it. */
export type OnConflict = 'report' | 'link';
export const onConflictChoices: readonly OnConflict[] = ['report', 'link'];

export type ImportOutcome =
  | { readonly kind: 'imported' }
  | { readonly kind: 'skipped' }
  | { readonly kind: 'linked' }
  | { readonly kind: 'conflict'; readonly rows: readonly ImportConflictRow[] }
  | { readonly kind: 'refused'; readonly reason: string };

/** A provider customer the import could not store, as the CLI prints it and the import's state shows it. */
export interface ImportRefusal {
  /** The customer's id at the provider. */
  readonly upstream_id: string;
  /** What in it this gateway cannot store. */
  readonly reason: string;
}

export const refusalView = (row: ImportRefusalRow): ImportRefusal => ({ upstream_id: row.remote_id, reason: row.reason });

/** A conflict as the CLI prints it and the import's state shows it. */
export interface ImportConflict {
  /** The customer's id at the provider. */
  readonly upstream_id: string;
  /** The local customer holding the key: its UUID (as `reconcile --ids` names it) and its public id. */
  readonly local_id: string;
  readonly local_public_id: string;
  readonly key: 'alias' | 'external_id';
  readonly value: string;
  /** Why `--on-conflict link` did not link them. */
  readonly reason?: string;
}

export const conflictView = (row: ImportConflictRow): ImportConflict => ({
  upstream_id: row.remote_id,
  local_id: row.customer_id,
  local_public_id: row.public_id,
  key: row.key as ImportConflict['key'],
  value: row.value,
  ...(row.reason !== null ? { reason: row.reason } : {}),
});

/** Stores and links one upstream customer, or names the local customer in its way. */
export async function importOne(
  deps: ImportDeps,
  upstream: Upstream,
  others: readonly UpstreamRow[],
  customer: ClientCustomer,
  run: { readonly livemode: boolean; readonly onConflict: OnConflict; readonly startedAt: string },
): Promise<ImportOutcome> {
  const { livemode, onConflict } = run;
  const { store, service } = deps;
  const tenantId = upstream.tenantId;
  if (await store.upstreams.findLinkByRemote(tenantId, upstream.id, customer.id)) return { kind: 'skipped' };
  const request = { principal: { tenantId, credentialId: `import:${upstream.id}`, livemode }, dialect: upstream.dialect.name };
  const replicas = replicasOf(others, (name) => deps.client.dialectOf(name));
  // Marked as created by this import run: its `imported` counts these (ImportRepository.created).
  const route = {
    overlay: customer.patch,
    link: { upstreamId: upstream.id, remoteId: customer.id, importStartedAt: createdMark(run.startedAt) },
    replicas,
  };
  const inTheWay = async (error: unknown): Promise<ImportOutcome> => {
    const holders = await holdersOf(deps, tenantId, customer);
    if (holders.length === 0) throw error; // freed meanwhile: the page fails and a re-run stores it
    // A deleted holder keeps the key for good (deletedHolder): said in either mode, as linking cannot help.
    if (holders.some((h) => h.row.deleted_at !== null)) {
      const reason = (h: Holder) => deletedHolder(h) ?? (onConflict === 'link' ? twoHolders : null);
      return { kind: 'conflict', rows: conflictRows(upstream, customer, holders, reason) };
    }
    if (onConflict === 'link') {
      const refusal = await linkRefusal(deps, upstream, holders, livemode);
      if (refusal === undefined) {
        // The provider's values win, as `?refresh=true` takes them (provider-state.ts): the local
        // customer becomes what the provider holds on every field its API carries, and keeps its
        // id and what the provider has no field for. Linked in the update's own atomic unit, so a
        // crash (or a refused link) leaves it neither updated nor linked; an update that changes
        // nothing writes no unit, and the link is made alone.
        const holder = holders[0]!.row;
        // Marked as this import run's: its `linked` counts these alone (ImportRepository.linked).
        const link = { upstreamId: upstream.id, remoteId: customer.id, importStartedAt: run.startedAt };
        await service.update(['uuid'], holder.id, {}, request, { overlay: customer.patch, replicas, link });
        if (!(await store.upstreams.findLink(tenantId, upstream.id, holder.id))) {
          await store.upstreams.link({ ...link, customerId: holder.id, tenantId, createdAt: new Date().toISOString() });
        }
        return { kind: 'linked' };
      }
      return { kind: 'conflict', rows: conflictRows(upstream, customer, holders, refusal) };
    }
    return { kind: 'conflict', rows: conflictRows(upstream, customer, holders, null) };
  };
  const ids = adoptedIds(customer.id);
  try {
    await service.create({}, request, ids ? { ...route, ids } : route);
    return { kind: 'imported' };
  } catch (error) {
    if (heldKey(error)) return inTheWay(error);
    // The store's checks refused it as the provider holds it: left out and named (import.ts).
    const refused = whyRefused(error);
    if (refused !== undefined) return { kind: 'refused', reason: refused };
    if (!isGatewayError(error) || error.code !== 'conflict') throw error;
    // Linked meanwhile (another import), or its id is a local customer's already: a new local id then.
    if (await store.upstreams.findLinkByRemote(tenantId, upstream.id, customer.id)) return { kind: 'skipped' };
    if (!ids || error.details.field !== 'upstream id') {
      throw new GatewayError('conflict', `The upstream's customer ${customer.id}: ${error.message}`);
    }
  }
  try {
    await service.create({}, request, route);
    return { kind: 'imported' };
  } catch (error) {
    if (heldKey(error)) return inTheWay(error);
    const refused = whyRefused(error);
    if (refused !== undefined) return { kind: 'refused', reason: refused };
    throw error;
  }
}

/** A create refused because a local customer holds the alias or external_id (or has the external_id as its UUID). */
function heldKey(error: unknown): boolean {
  if (!isGatewayError(error)) return false;
  if (error.code === 'conflict') return error.details.field === 'alias' || error.details.field === 'external_id';
  return error.code === 'invalid_request' && (error.details.issues ?? []).some((i) => i.path[0] === 'external_id');
}

interface Holder {
  readonly key: 'alias' | 'external_id';
  readonly value: string;
  readonly row: CustomerRow;
}

/** The local customers holding the provider customer's alias or external_id. */
async function holdersOf(deps: ImportDeps, tenantId: string, customer: ClientCustomer): Promise<Holder[]> {
  const fields = applyPatch(fieldDefaults, customer.patch);
  const holders: Holder[] = [];
  for (const key of ['alias', 'external_id'] as const) {
    const value = fields[key];
    if (value === null) continue;
    const row =
      (await deps.store.findCustomer(tenantId, key, value)) ??
      (key === 'external_id' && uuidPattern.test(value) ? await deps.store.findCustomer(tenantId, 'uuid', value.toLowerCase()) : undefined);
    if (row) holders.push({ key, value, row });
  }
  return holders;
}

/** Why the holders cannot be linked to the provider's customer (undefined: they can). */
async function linkRefusal(deps: ImportDeps, upstream: Upstream, holders: readonly Holder[], livemode: boolean) {
  const holder = holders[0]!.row;
  if (holders.some((h) => h.row.id !== holder.id)) return twoHolders;
  if (holder.livemode !== null && Number(holder.livemode) !== Number(livemode)) {
    return `the local customer belongs to the ${Number(holder.livemode) === 1 ? 'live' : 'test'} keys, the import to the ${livemode ? 'live' : 'test'} keys`;
  }
  const link = await deps.store.upstreams.findLink(upstream.tenantId, upstream.id, holder.id);
  if (link) return `the local customer is linked to ${link.remote_id} at this upstream already`;
  return undefined;
}

/**
 * Why a provider customer whose key a deleted local customer holds is left out, and what to do. A
 * deleted customer keeps its alias and external_id, as Meteroid keeps an archived customer's alias
 * (docs/dialects/meteroid.md, "Deleting a customer"), so a key never comes to name another
 * customer than the one it named. Nothing here can free it; the provider's side can change.
 */
const twoHolders = 'its alias and external_id are held by two different local customers';

const deletedHolder = (h: Holder) =>
  h.row.deleted_at === null
    ? null
    : `the local customer is deleted, and a deleted customer keeps its ${h.key} for good (as Meteroid keeps an archived customer's alias), so this customer cannot be linked or imported with it: change or clear its ${h.key} at the provider and run the import again, or leave it out`;

function conflictRows(
  upstream: Upstream,
  customer: ClientCustomer,
  holders: readonly Holder[],
  reason: string | null | ((h: Holder) => string | null),
) {
  const at = new Date().toISOString();
  return holders.map((h) => ({
    upstream_id: upstream.id,
    remote_id: customer.id,
    key: h.key,
    tenant_id: upstream.tenantId,
    value: h.value,
    customer_id: h.row.id,
    public_id: h.row.public_id,
    reason: typeof reason === 'function' ? reason(h) : reason,
    found_at: at,
  }));
}
