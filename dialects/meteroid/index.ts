import { apiKeyPrincipal, type Dialect } from '../../src/contract/dialect.ts';
import { credentialsMeteroid } from './auth.ts';
import { clientMeteroid } from './client.ts';
import { listMeteroid } from './list.ts';
import { coverageMeteroid } from './coverage.ts';
import { renderErrorMeteroid } from './errors.ts';
import { render, toPatch } from './mapping.ts';
import { CreateRequestMeteroid, UpdateRequestMeteroid } from './request.ts';
import { openapiMeteroid } from './openapi.ts';
import { fromPatch } from './from-patch.ts';

/** Meteroid (the Meteroid API reference): `PATCH /api/v1/customers/{id_or_alias}`, Bearer API key. */
export const meteroid = {
  name: 'meteroid',
  title: 'Meteroid',
  routes: { prefix: '/meteroid', collection: '/api/v1/customers', update: 'PATCH', root: true },
  ids: ['public_id', 'uuid', 'alias'],
  idempotency: false,
  auth: {
    credentials: credentialsMeteroid,
    principal: apiKeyPrincipal,
    async issueCredentials(mint) {
      const api_key = await mint.apiKey('meteroid', mint.livemode ? 'pv_live_' : 'pv_test_');
      return { api_key };
    },
  },
  wire: {
    bodies: ['json'],
    request: { update: UpdateRequestMeteroid, create: CreateRequestMeteroid },
    render,
    renderError: renderErrorMeteroid,
    list: listMeteroid,
    openapi: openapiMeteroid,
    // Meteroid's `DELETE /api/v1/customers/{id_or_alias}` archives (router.rs of meteroid-oss/meteroid,
    // `archive_customer`): 204, the customer still retrievable, left out of lists, archiving again
    // changes nothing.
    delete: { answer: () => ({ status: 204 }), retrieve: 'customer', again: 'same' },
    createdStatus: 201,
  },
  translation: {
    updatePatch: toPatch,
    createPatch: toPatch,
    fromPatch,
    coverage: coverageMeteroid,
  },
  client: clientMeteroid,
} satisfies Dialect<UpdateRequestMeteroid, CreateRequestMeteroid>;
