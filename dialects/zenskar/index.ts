import type { Dialect } from '../../src/dialect.ts';
import { checkRequestZenskar, credentialZenskar, ownsRequestZenskar, principalZenskar } from './auth.ts';
import { coverageZenskar } from './coverage.ts';
import { renderErrorZenskar } from './errors.ts';
import { examplesZenskar } from './examples.ts';
import { render, toPatch } from './mapping.ts';
import { CreateRequestZenskar, UpdateRequestZenskar } from './request.ts';
import { openapiZenskar } from './openapi.ts';
import { fromPatch } from './translate.ts';

/** Zenskar (seed 004): `PATCH /customers/{customer_id}`, `x-api-key` + `organisation`, FastAPI errors. */
export const zenskar = {
  name: 'zenskar',
  title: 'Zenskar',
  // `/customers` at the root is Connhex's too: an `x-api-key` header picks Zenskar.
  routes: { prefix: '/zenskar', collection: '/customers', update: 'PATCH', root: 'shared' },
  // The path takes the customer's UUID; an external_id resolves too (a UUID is tried first).
  ids: ['uuid', 'external_id'],
  bodies: ['json'],
  idempotency: false,
  // FastAPI's default status: the seed declares no 201 anywhere.
  createdStatus: 200,
  ownsRequest: ownsRequestZenskar,
  credential: credentialZenskar,
  principal: principalZenskar,
  checkRequest: checkRequestZenskar,
  request: { update: UpdateRequestZenskar, create: CreateRequestZenskar },
  updatePatch: toPatch,
  createPatch: toPatch,
  render,
  renderError: renderErrorZenskar,
  async issueCredentials(mint) {
    const api_key = await mint.apiKey('zenskar', 'zsk_');
    return { api_key, organisation: mint.tenantId };
  },
  examples: examplesZenskar,
  openapi: openapiZenskar,
  coverage: coverageZenskar,
  fromPatch,
} satisfies Dialect<UpdateRequestZenskar, CreateRequestZenskar>;
