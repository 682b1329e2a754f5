import { type Customer, type CustomerFields, type CustomerPatch, fieldDefaults, stateDefaults } from '../../schemas/index.ts';
import { applyPatch } from './apply-patch.ts';
import { newPublicId } from './ids.ts';
import { checkGrowth, checkInvariants } from './write-checks.ts';
import type { Write } from './write-request.ts';

// A create in two halves: the fields it makes, checked without the store, and the customer stored
// from them. CustomerService.create runs both; a dry run (src/gateway/fixtures.ts, the fixtures a
// reset loads again, checked before the tenant is emptied) runs them without writing.

/** The fields a create of `patch` makes (a proxy's overlay after it), with every check a create makes before it reads the store. */
export function createdFields(patch: CustomerPatch, ctx: Write, maxCustomerBytes: number | undefined): CustomerFields {
  const fields = ctx.overlay ? applyPatch(applyPatch(fieldDefaults, patch), ctx.overlay) : applyPatch(fieldDefaults, patch);
  checkInvariants(fields);
  checkGrowth(fieldDefaults, fields, ctx, maxCustomerBytes);
  return fields;
}

/** The customer a create stores: the fields, the ids the route gives (else new ones), the number, `now`. */
export const newCustomer = (fields: CustomerFields, ctx: Write, number: number, now: string): Customer => ({
  ...stateDefaults,
  ...fields,
  livemode: ctx.principal.livemode,
  uuid: ctx.ids?.uuid ?? crypto.randomUUID(),
  public_id: ctx.ids?.public_id ?? newPublicId(),
  number,
  version: 1,
  created_at: now,
  updated_at: now,
});
