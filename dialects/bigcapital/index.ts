import type { CredentialMinter, Dialect, TokenOptions } from '../../src/contract/dialect.ts';
import { credentialsBigcapital, organizationsClaim, principalBigcapital } from './auth.ts';
import { clientBigcapital } from './client.ts';
import { listBigcapital } from './list.ts';
import { coverageBigcapital } from './coverage.ts';
import { renderErrorBigcapital } from './errors.ts';
import { render, toCreatePatch, toPatch } from './mapping.ts';
import { CreateRequestBigcapital, UpdateRequestBigcapital } from './request.ts';
import { openapiBigcapital } from './openapi.ts';
import { fromPatch } from './from-patch.ts';

/** How long the JWT `tenant create` issues stays valid: 30 days, then mint another. */
export const jwtTtlSecondsBigcapital = 30 * 24 * 3600;

async function issueToken(mint: CredentialMinter, options: TokenOptions): Promise<string> {
  if (options.permissions !== undefined) throw new Error('Bigcapital tokens carry no permissions: a user may do what the organization may');
  // The subject is the organization's first user; custgate keeps no users, so it is minted here.
  return mint.jwt(
    { [organizationsClaim]: [mint.tenantId], livemode: mint.livemode },
    { subject: `user_${crypto.randomUUID()}`, ttlSeconds: options.ttlSeconds ?? jwtTtlSecondsBigcapital },
  );
}

/** Bigcapital (the Bigcapital API reference): `PUT /api/customers/{id}` camelCase by per-tenant number; bc_ key or JWT + organization-id. */
export const bigcapital = {
  name: 'bigcapital',
  title: 'Bigcapital',
  routes: { prefix: '/bigcapital', collection: '/api/customers', update: 'PUT', root: true },
  ids: ['number'],
  idempotency: false,
  auth: {
    credentials: credentialsBigcapital,
    principal: principalBigcapital,
    async issueCredentials(mint) {
      const api_key = await mint.apiKey('bigcapital', 'bc_', { alphabet: 'hex', length: 96 });
      return { api_key, jwt: await issueToken(mint, {}), organization_id: mint.tenantId };
    },
    issueToken,
  },
  wire: {
    bodies: ['json'],
    request: { update: UpdateRequestBigcapital, create: CreateRequestBigcapital },
    render,
    renderError: renderErrorBigcapital,
    list: listBigcapital,
    openapi: openapiBigcapital,
    // Bigcapital's `DELETE /api/customers/{id}` (Customers.controller.ts of bigcapitalhq/bigcapital)
    // removes the customer: 200, then it is not found, by a retrieve or a second delete alike.
    delete: {
      answer: (customer) => ({ status: 200, body: { id: customer.number, message: 'The customer has been deleted successfully.' } }),
      retrieve: 'not_found',
      again: 'not_found',
    },
    createdStatus: 201,
  },
  translation: {
    updatePatch: toPatch,
    createPatch: toCreatePatch,
    fromPatch,
    coverage: coverageBigcapital,
  },
  client: clientBigcapital,
} satisfies Dialect<UpdateRequestBigcapital, CreateRequestBigcapital>;
