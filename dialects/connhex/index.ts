import type { CredentialMinter, Dialect, TokenOptions } from '../../src/contract/dialect.ts';
import { deleteStripe, expandStripe, simulationsStripe } from '../stripe-like/index.ts';
import { hash } from '../stripe-like/request.ts';
import { credentialsConnhex, principalConnhex } from './auth.ts';
import { clientConnhex } from './client.ts';
import { coverageConnhex } from './coverage.ts';
import { renderErrorConnhex } from './errors.ts';
import { render, toPatch } from './mapping.ts';
import { CreateRequestConnhex, UpdateRequestConnhex } from './request.ts';
import { fieldsConnhex } from './fields.ts';
import { openapiConnhex } from './openapi.ts';
import { fromPatch } from './from-patch.ts';
import { listConnhex } from './list.ts';

/** How long `custgate tenant create`'s token lives: 30 days, then mint another. */
export const tokenTtlSecondsConnhex = 30 * 24 * 60 * 60;

const issueToken = (mint: CredentialMinter, options: TokenOptions): Promise<string> =>
  mint.jwt(
    {
      tenant: mint.tenantId,
      permissions: options.permissions ?? ['pay:customers:get', 'pay:customers:update'],
      livemode: mint.livemode,
    },
    { subject: `tenant:${mint.tenantId}`, ttlSeconds: options.ttlSeconds ?? tokenTtlSecondsConnhex },
  );

/** Connhex (the Connhex API reference): Stripe-like `POST /customers/{id}`, `Bearer <JWT>` with action permissions. */
export const connhex = {
  name: 'connhex',
  title: 'Connhex (Stripe-like, JWT permissions)',
  routes: { prefix: '/connhex', collection: '/customers', update: 'POST', root: 'shared' },
  ids: ['public_id'],
  idempotency: true,
  auth: {
    credentials: credentialsConnhex,
    principal: principalConnhex,
    // `/customers/…` is Zenskar's too: its callers send x-api-key, Connhex's an Authorization header.
    ownsRequest: (req) => req.header('authorization') !== undefined && req.header('x-api-key') === undefined,
    async issueCredentials(mint) {
      return { token: await issueToken(mint, {}) };
    },
    issueToken,
  },
  wire: {
    bodies: ['json', 'form'],
    // A JSON array is no body of parameters: valibot's object() would read `[]` as an empty one.
    request: { update: hash(UpdateRequestConnhex), create: hash(CreateRequestConnhex) },
    expand: expandStripe(fieldsConnhex),
    render,
    renderError: renderErrorConnhex,
    list: listConnhex,
    // Stripe answers `Request-Id: req_…` and its SDKs read that header (https://docs.stripe.com/api/request_ids).
    requestIdHeader: 'request-id',
    openapi: openapiConnhex,
    delete: deleteStripe,
    createdStatus: 200,
    simulations: simulationsStripe,
  },
  translation: {
    updatePatch: toPatch,
    createPatch: toPatch,
    fromPatch,
    coverage: coverageConnhex,
  },
  client: clientConnhex,
} satisfies Dialect<UpdateRequestConnhex, CreateRequestConnhex>;
