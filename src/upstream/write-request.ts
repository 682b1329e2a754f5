import {
  type Customer,
  type CustomerFields,
  type CustomerPatch,
  fieldDefaults,
  type FieldName,
  fieldNames,
  set,
  clear,
} from '../../schemas/index.ts';
import { applyPatch } from '../core/index.ts';
import type { AnyDialect, BodyFormat, ClientRequest, IssuedCredentials } from '../contract/dialect.ts';
import type { LinkRow, UpstreamMode } from '../store/index.ts';

// What a canonical write becomes at an upstream, before anything is sent: pure functions of the
// upstream, its link and the write. The proxy checks the request first (proxy.ts); the client
// (client.ts) sends it.

/** An upstream with its credentials opened, ready to call. */
export interface Upstream {
  readonly id: string;
  readonly tenantId: string;
  readonly dialect: AnyDialect;
  readonly baseUrl: string;
  readonly mode: UpstreamMode;
  readonly credentials: IssuedCredentials;
  /** The body encoding it was added with (`upstream add --encoding`). */
  readonly encoding: BodyFormat;
}

/** One canonical write to deliver. */
export interface UpstreamWrite {
  readonly patch: CustomerPatch;
  /** The customer before the write, when the gateway has it (updates; creates of known customers). */
  readonly current?: Customer | undefined;
  /** Forwarded to upstreams that honour Idempotency-Key. */
  readonly idempotencyKey?: string | undefined;
  /** The key of a create on behalf of a known customer, as recorded before it was sent (attempts.ts). */
  readonly createKey?: string | undefined;
}

/** The customer as the upstream now shows it: its id there and its state as a canonical patch. */
export interface Pushed {
  readonly upstreamId: string;
  /** Apply to the local customer (core applyPatch) to get the upstream's view of it. */
  readonly patch: CustomerPatch;
}

/** The dialect of this name among those the gateway was given, or an error naming the choices. */
export function dialectOf(all: readonly AnyDialect[], name: string): AnyDialect {
  const found = all.find((d) => d.name === name);
  if (!found) throw new Error(`unknown dialect ${name}: one of ${all.map((d) => d.name).join(', ')}`);
  return found;
}

/** Fields with a value other than the default, as sets: a whole customer as a create. */
export function wholePatch(fields: CustomerFields): CustomerPatch {
  const patch: Record<string, unknown> = {};
  for (const name of fieldNames) {
    if (JSON.stringify(fields[name]) !== JSON.stringify(fieldDefaults[name])) patch[name] = set(fields[name]);
  }
  return patch as CustomerPatch;
}

const replaceable = ['address', 'shipping', 'metadata', 'tax_ids'] as const satisfies readonly FieldName[];

/**
 * A provider that replaces an object whole (Zenskar's custom_data, Meteroid's addresses) cannot
 * take a member-by-member change: given the current customer, the merge becomes the whole value.
 */
export function resolveMerges(dialect: AnyDialect, patch: CustomerPatch, current: CustomerFields | undefined): CustomerPatch {
  let out: Record<string, unknown> | undefined;
  for (const field of replaceable) {
    const op = patch[field];
    if (op?.op !== 'merge' || dialect.translation.coverage[field]?.write?.mode !== 'replace') continue;
    const after = applyPatch(current ?? fieldDefaults, { [field]: op })[field];
    out ??= { ...patch };
    out[field] = after === null ? clear : set(after);
  }
  return (out as CustomerPatch | undefined) ?? patch;
}

/**
 * The request of one canonical write: an update of the linked customer, or a create (the whole
 * customer after the write) where there is no link yet.
 */
export function requestFor(upstream: Upstream, link: LinkRow | undefined, write: UpstreamWrite): ClientRequest {
  const client = upstream.dialect.client;
  let request: ClientRequest;
  if (link) {
    const patch = resolveMerges(upstream.dialect, write.patch, write.current);
    request = client.update(link.remote_id, { patch, current: write.current, encoding: upstream.encoding }, upstream.credentials);
  } else {
    const after = applyPatch(write.current ?? fieldDefaults, write.patch);
    request = client.create({ patch: wholePatch(after), encoding: upstream.encoding }, upstream.credentials);
  }
  // A create on behalf of an update (no link yet) is another request: its own key.
  const onBehalf = !link && write.current !== undefined;
  const key = onBehalf ? (write.createKey ?? (write.idempotencyKey && `${write.idempotencyKey}:create`)) : write.idempotencyKey;
  if (key !== undefined && upstream.dialect.idempotency) {
    request = { ...request, headers: { ...request.headers, 'idempotency-key': key } };
  }
  return request;
}
