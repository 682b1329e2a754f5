import { hash } from '../stripe-like/request.ts';
import { apiKeyPrincipal, type Dialect } from '../../src/contract/dialect.ts';
import { deleteStripe, expandStripe, metadataMaxKeysStripe, simulationsStripe } from '../stripe-like/index.ts';
import { credentialsWooshpay } from './auth.ts';
import { clientWooshpay } from './client.ts';
import { coverageWooshpay } from './coverage.ts';
import { renderErrorWooshpay } from './errors.ts';
import { render, toPatch } from './mapping.ts';
import { CreateRequestWooshpay, UpdateRequestWooshpay } from './request.ts';
import { fieldsWooshpay } from './fields.ts';
import { openapiWooshpay } from './openapi.ts';
import { fromPatch } from './from-patch.ts';
import { listWooshpay } from './list.ts';

/** Wooshpay (the Wooshpay API reference): Stripe-like `POST /v1/customers/{id}`, HTTP Basic secret key. */
export const wooshpay = {
  name: 'wooshpay',
  title: 'Wooshpay (Stripe-like)',
  routes: { prefix: '/wooshpay', collection: '/v1/customers', update: 'POST', root: true },
  ids: ['public_id'],
  idempotency: true,
  metadataMaxKeys: metadataMaxKeysStripe,
  auth: {
    credentials: credentialsWooshpay,
    principal: apiKeyPrincipal,
    async issueCredentials(mint) {
      const secret_key = await mint.apiKey('wooshpay', mint.livemode ? 'sk_live_' : 'sk_test_');
      return { secret_key };
    },
  },
  wire: {
    bodies: ['json', 'form'],
    // A JSON array is no body of parameters: valibot's object() would read `[]` as an empty one.
    request: { update: hash(UpdateRequestWooshpay), create: hash(CreateRequestWooshpay) },
    expand: expandStripe(fieldsWooshpay),
    render,
    renderError: renderErrorWooshpay,
    list: listWooshpay,
    // Stripe answers `Request-Id: req_…` and its SDKs read that header (https://docs.stripe.com/api/request_ids).
    requestIdHeader: 'request-id',
    openapi: openapiWooshpay,
    delete: deleteStripe,
    createdStatus: 200,
    simulations: simulationsStripe,
  },
  translation: {
    updatePatch: toPatch,
    createPatch: toPatch,
    fromPatch,
    coverage: coverageWooshpay,
  },
  client: clientWooshpay,
} satisfies Dialect<UpdateRequestWooshpay, CreateRequestWooshpay>;
