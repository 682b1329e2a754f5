import type { DialectDelete } from '../../src/contract/dialect.ts';
import { tombstoneStripe as tombstone } from './fields.ts';

// Stripe's delete (https://docs.stripe.com/api/customers/delete): `DELETE /v1/customers/{id}`
// answers `{id, object: "customer", deleted: true}`; a retrieve of the deleted customer answers the
// same object (https://docs.stripe.com/api/customers/retrieve), and a second delete is a 404
// `resource_missing`, as is an update.

export const deleteStripe = {
  answer: (customer) => ({ status: 200, body: tombstone(customer) }),
  retrieve: 'tombstone',
  tombstone,
  again: 'not_found',
} as const satisfies DialectDelete;
