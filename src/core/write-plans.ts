import type { Customer, CustomerPatch } from '../../schemas/index.ts';
import { type CustomerRow, type DeliveryRow, pendingDelivery, type WritePlan } from '../store/index.ts';
import { applyPatch, diffFields, type FieldChange } from './apply-patch.ts';
import { customerToRow, rowToCustomer } from './customer-row.ts';
import { checkGrowth, checkIfMatch, checkInvariants, checkUpdateConditions, deletedCustomer } from './write-checks.ts';
import { keptVia } from './via.ts';
import type { Recorder, ServiceOptions, Write, WrittenEvent } from './write-request.ts';

/** The customer moved past the version a proxied write was computed from (WriteRoute.basedOn). */
export class BaseMoved extends Error {
  constructor(readonly version: number) {
    super(`the customer is at version ${version} now`);
    this.name = 'BaseMoved';
  }
}

/** What planning a write needs of the service's options: the clock and the size limit. */
export type PlanOptions = Pick<ServiceOptions, 'now' | 'maxCustomerBytes'>;

/** The writes an update makes on top of `row` (none when it changes nothing). */
export function planUpdate(
  row: CustomerRow,
  patch: CustomerPatch,
  ctx: Write,
  replicas: readonly { readonly id: string }[],
  recorder: Recorder,
  options: PlanOptions,
): WritePlan<Customer> {
  // Deleted while this write waited its turn.
  if (row.deleted_at !== null) throw deletedCustomer(row.public_id);
  if (ctx.basedOn !== undefined && Number(row.version) !== ctx.basedOn) throw new BaseMoved(Number(row.version));
  const current = rowToCustomer(row);
  checkUpdateConditions(ctx, current);
  const patched = applyPatch(current, patch);
  const fields = ctx.overlay ? applyPatch(patched, ctx.overlay) : patched;
  checkGrowth(current, fields, ctx, options.maxCustomerBytes);
  const changes = diffFields(current, fields);
  checkInvariants(fields, changes);
  if (changes.length === 0) {
    // Nothing to write; the answer is still stored for the key.
    return { value: current, finish: keptResponse(current, ctx).idempotency };
  }
  const next: Customer = {
    ...current,
    ...fields,
    version: current.version + 1,
    updated_at: options.now().toISOString(),
  };
  const tenantId = ctx.principal.tenantId;
  return {
    value: next,
    unit: {
      row: customerToRow(next, tenantId),
      expectedVersion: current.version,
      previous: row,
      event: eventRow(next, ctx, 'update', changes),
      ...keptResponse(next, ctx),
      ...deliveries(replicas, next, tenantId, 'update', ctx.via),
      ...recordedRows(recorder, next, ctx, 'update'),
      ...(ctx.link ? { link: { ...ctx.link, customerId: next.uuid, tenantId, createdAt: next.updated_at } } : {}),
    },
  };
}

/** The tombstone a delete writes on top of `row`: the next version, marked deleted. */
export function planDelete(
  row: CustomerRow,
  segment: string,
  ctx: Write,
  replicas: readonly { readonly id: string }[],
  recorder: Recorder,
  options: PlanOptions,
): WritePlan<Customer> {
  if (row.deleted_at !== null) throw deletedCustomer(segment);
  const current = rowToCustomer(row);
  checkIfMatch(ctx, current.version);
  const now = options.now().toISOString();
  const next: Customer = { ...current, version: current.version + 1, updated_at: now };
  const tenantId = ctx.principal.tenantId;
  return {
    value: next,
    unit: {
      row: { ...customerToRow(next, tenantId), livemode: row.livemode, deleted_at: now },
      expectedVersion: current.version,
      previous: row,
      event: eventRow(next, ctx, 'delete', []),
      ...deliveries(replicas, next, tenantId, 'delete', ctx.via),
      ...recordedRows(recorder, next, ctx, 'delete'),
    },
  };
}

export function eventRow(customer: Customer, ctx: Write, action: 'create' | 'update' | 'delete', changes: FieldChange[]) {
  return {
    customer_id: customer.uuid,
    version: customer.version,
    tenant_id: ctx.principal.tenantId,
    action,
    dialect: ctx.dialect,
    credential_id: ctx.principal.credentialId,
    changes: JSON.stringify(changes),
    created_at: customer.updated_at,
    request_id: ctx.requestId ?? null,
    idempotency_key: ctx.idempotencyKey ?? null,
  };
}

/** One outbox row per mirror/shadow upstream, written in the same atomic unit as the customer. */
export function deliveries(
  replicas: readonly { readonly id: string }[],
  customer: Customer,
  tenantId: string,
  action: 'create' | 'update' | 'delete',
  via: string | undefined,
) {
  if (replicas.length === 0) return {};
  const at = customer.updated_at;
  // The write's Via goes with each delivery: a mirror pointing back where it came from is a loop.
  const kept = keptVia(via);
  const deliveries: DeliveryRow[] = replicas.map((upstream) =>
    pendingDelivery(
      { upstream_id: upstream.id, customer_id: customer.uuid, version: customer.version, tenant_id: tenantId, action },
      at,
      kept,
    ),
  );
  return { deliveries };
}

export function recordedRows(recorder: Recorder, customer: Customer, ctx: Write, action: WrittenEvent['action']) {
  const recorded = recorder
    ? recorder({
        tenantId: ctx.principal.tenantId,
        customerId: customer.uuid,
        version: customer.version,
        action,
        livemode: customer.livemode,
        at: customer.updated_at,
        requestId: ctx.requestId ?? null,
        idempotencyKey: ctx.idempotencyKey ?? null,
      })
    : [];
  const extra = ctx.checks && ctx.checks.length > 0 ? [...recorded, ...ctx.checks] : recorded;
  return extra.length > 0 ? { extra } : {};
}

export function keptResponse(customer: Customer, ctx: Write) {
  return ctx.keep ? { idempotency: ctx.keep(customer) } : {};
}
