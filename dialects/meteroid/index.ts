import { apiKeyPrincipal, type Dialect } from '../../src/dialect.ts';
import { credentialMeteroid } from './auth.ts';
import { coverageMeteroid } from './coverage.ts';
import { renderErrorMeteroid } from './errors.ts';
import { examplesMeteroid } from './examples.ts';
import { render, toPatch } from './mapping.ts';
import { CreateRequestMeteroid, UpdateRequestMeteroid } from './request.ts';
import { openapiMeteroid } from './openapi.ts';
import { fromPatch } from './translate.ts';

/** Meteroid (seed 002): `PATCH /api/v1/customers/{id_or_alias}`, Bearer API key. */
export const meteroid = {
  name: 'meteroid',
  title: 'Meteroid',
  routes: { prefix: '/meteroid', collection: '/api/v1/customers', update: 'PATCH', root: true },
  ids: ['public_id', 'uuid', 'alias'],
  bodies: ['json'],
  idempotency: false,
  createdStatus: 201,
  credential: credentialMeteroid,
  principal: apiKeyPrincipal,
  request: { update: UpdateRequestMeteroid, create: CreateRequestMeteroid },
  updatePatch: toPatch,
  createPatch: toPatch,
  render,
  renderError: renderErrorMeteroid,
  async issueCredentials(mint) {
    const api_key = await mint.apiKey('meteroid', mint.livemode ? 'pv_live_' : 'pv_test_');
    return { api_key };
  },
  examples: examplesMeteroid,
  openapi: openapiMeteroid,
  coverage: coverageMeteroid,
  fromPatch,
} satisfies Dialect<UpdateRequestMeteroid, CreateRequestMeteroid>;
