import * as v from 'valibot';
import { type Customer, type CustomerFields, CustomerFieldsSchema } from '../../schemas/index.ts';
import type { Principal } from '../contract/dialect.ts';
import { GatewayError, type Issue } from '../contract/errors.ts';
import { type CustomerRow, StaleWrite, UniqueViolation } from '../store/index.ts';
import type { FieldChange } from './apply-patch.ts';
import { aliasConflictsWithIds } from './ids.ts';
import type { WriteRequest } from './write-request.ts';

export const notFound = (reference: string) => new GatewayError('not_found', `No such customer: '${reference}'`, { reference });

/** Another write of the customer kept moving it under this one: the client's 409 to retry. */
export const concurrentUpdate = () =>
  new GatewayError('conflict', 'The customer is being updated concurrently; retry the request.', { field: 'version' });

// PostgreSQL text cannot hold NUL (SQLite can): refused for every backend alike.
const hasNul = (value: string | null): boolean => value?.includes('\u0000') === true;

/**
 * The fields must make a valid customer. `only`: the fields an update changed. The stored
 * customer passed this check when it was written, so an update need only check what it changed
 * (a patch of one field to a 60-field customer checks one field, not sixty).
 */
export function checkInvariants(fields: CustomerFields, only?: readonly FieldChange[]): void {
  const issues: Issue[] = [];
  for (const name of ['alias', 'external_id'] as const) {
    if (hasNul(fields[name])) issues.push({ path: [name], kind: 'format', message: `${name} cannot contain a NUL character.` });
  }
  const collect = (result: v.SafeParseResult<v.GenericSchema>, prefix: readonly (string | number)[]) => {
    if (result.success) return;
    for (const issue of result.issues) {
      issues.push({
        path: [...prefix, ...(issue.path ?? []).map((item) => item.key as string | number)],
        kind: 'value',
        message: issue.message,
        value: issue.input,
      });
    }
  };
  if (only) {
    for (const change of only) collect(v.safeParse(CustomerFieldsSchema.entries[change.field], change.after), [change.field]);
  } else {
    collect(v.safeParse(CustomerFieldsSchema, fields), []);
  }
  const aliasChanged = !only || only.some((c) => c.field === 'alias');
  if (aliasChanged && fields.alias !== null && aliasConflictsWithIds(fields.alias)) {
    issues.push({ path: ['alias'], kind: 'format', message: 'An alias cannot look like a customer id or a UUID.', value: fields.alias });
  }
  if (issues.length > 0) throw new GatewayError('invalid_request', 'The customer would be invalid.', { issues, canonical: true });
}

const utf8 = new TextEncoder();

/** Limits that depend on what is already stored: the provider's metadata keys, the stored size. */
export function checkGrowth(
  before: CustomerFields,
  after: CustomerFields,
  ctx: Pick<WriteRequest, 'metadataMaxKeys'>,
  maxBytes: number | undefined,
): void {
  const max = ctx.metadataMaxKeys;
  if (max !== undefined && after.metadata !== before.metadata) {
    const keys = Object.keys(after.metadata).length;
    // Only growth past the limit is refused: a map another dialect filled may still shrink.
    if (keys > max && keys > Object.keys(before.metadata).length) {
      const message = `Metadata can have at most ${max} keys; this customer would have ${keys}.`;
      throw new GatewayError('invalid_request', message, { issues: [{ path: ['metadata'], kind: 'value', message }], canonical: true });
    }
  }
  if (maxBytes !== undefined) {
    const bytes = utf8.encode(JSON.stringify(after)).byteLength;
    if (bytes > maxBytes) {
      throw new GatewayError('payload_too_large', `The customer would take ${bytes} bytes; at most ${maxBytes} are stored per customer.`);
    }
  }
}

/** A deleted customer is not there for reads, writes and lists: the provider's 404 (its history stays). */
export const deletedCustomer = (reference: string) => notFound(reference);

/**
 * What an update checks against the customer it is planned on, in one order for the store's plans
 * and the proxy: a value changed past a dialect's limit is the body's fault (400, as it would be
 * before the read), and only then does If-Match decide (412).
 */
export function checkUpdateConditions(ctx: Pick<WriteRequest, 'expectedVersions' | 'heldPastLimits'>, current: Customer): void {
  ctx.heldPastLimits?.(current);
  checkIfMatch(ctx, current.version);
}

/** If-Match names versions and the customer's current one is not among them: 412, nothing written. */
export function checkIfMatch(ctx: Pick<WriteRequest, 'expectedVersions'>, version: number): void {
  if (ctx.expectedVersions !== undefined && !ctx.expectedVersions.includes(version)) {
    throw new GatewayError('precondition_failed', 'The customer has changed since the version given in If-Match.');
  }
}

export const ghostTenant = () =>
  new GatewayError('unauthenticated', 'The credential names a tenant that does not exist.', { reason: 'invalid' });

export const missing = (segment: string): never => {
  throw notFound(segment);
};

/** Returns when the write lost a compare-and-set (worth another attempt); throws anything else. */
export function lostRace(error: unknown): void {
  if (error instanceof StaleWrite) return;
  if (!(error instanceof UniqueViolation)) throw error;
  const taken = takenValue(error);
  if (taken !== error) throw taken;
  // another writer committed this version first
  if (error.target !== 'version') throw error;
}

/** An alias or external id another customer of the tenant holds: the 409 naming it; anything else as it is. */
export function takenValue(error: unknown): unknown {
  return error instanceof UniqueViolation && (error.target === 'alias' || error.target === 'external_id') ? conflict(error.target) : error;
}

export function conflict(target: string): GatewayError {
  return new GatewayError('conflict', `Another customer of this tenant already has this ${target}.`, { field: target });
}

/** Whose customers a lookup may find: the tenant's, in the mode of the caller's key. */
export type Caller = Pick<Principal, 'tenantId' | 'livemode'>;

/** A customer created before modes were recorded (livemode null) is visible in both. */
export const inMode = (row: CustomerRow, livemode: boolean): boolean =>
  row.livemode === null || Number(row.livemode) === (livemode ? 1 : 0);
