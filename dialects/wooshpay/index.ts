import { apiKeyPrincipal, type Dialect } from '../../src/dialect.ts';
import { metadataMaxKeysStripe } from '../stripe-like/index.ts';
import { credentialWooshpay } from './auth.ts';
import { coverageWooshpay } from './coverage.ts';
import { renderErrorWooshpay } from './errors.ts';
import { examplesWooshpay } from './examples.ts';
import { render, toPatch } from './mapping.ts';
import { CreateRequestWooshpay, UpdateRequestWooshpay } from './request.ts';
import { openapiWooshpay } from './openapi.ts';
import { fromPatch } from './translate.ts';

/** Wooshpay (seed 000): Stripe-like `POST /v1/customers/{id}`, HTTP Basic secret key. */
export const wooshpay = {
  name: 'wooshpay',
  title: 'Wooshpay (Stripe-like)',
  routes: { prefix: '/wooshpay', collection: '/v1/customers', update: 'POST', root: true },
  ids: ['public_id'],
  bodies: ['json', 'form'],
  idempotency: true,
  metadataMaxKeys: metadataMaxKeysStripe,
  createdStatus: 200,
  credential: credentialWooshpay,
  principal: apiKeyPrincipal,
  request: { update: UpdateRequestWooshpay, create: CreateRequestWooshpay },
  updatePatch: toPatch,
  createPatch: toPatch,
  expand: (body) => body.expand ?? [],
  render,
  renderError: renderErrorWooshpay,
  async issueCredentials(mint) {
    const secret_key = await mint.apiKey('wooshpay', mint.livemode ? 'sk_live_' : 'sk_test_');
    return { secret_key };
  },
  examples: examplesWooshpay,
  openapi: openapiWooshpay,
  coverage: coverageWooshpay,
  fromPatch,
} satisfies Dialect<UpdateRequestWooshpay, CreateRequestWooshpay>;
