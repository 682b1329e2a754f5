import type { Dialect } from '../../src/contract/dialect.ts';
import { checkRequestZenskar, credentialsZenskar, ownsRequestZenskar, principalZenskar } from './auth.ts';
import { clientZenskar } from './client.ts';
import { listZenskar } from './list.ts';
import { coverageZenskar } from './coverage.ts';
import { renderErrorZenskar } from './errors.ts';
import { render, toPatch } from './mapping.ts';
import { CreateRequestZenskar, UpdateRequestZenskar } from './request.ts';
import { openapiZenskar } from './openapi.ts';
import { fromPatch } from './from-patch.ts';

/** Zenskar (the Zenskar API reference): `PATCH /customers/{customer_id}`, `x-api-key` + `organisation`, FastAPI errors. */
export const zenskar = {
  name: 'zenskar',
  title: 'Zenskar',
  // `/customers` at the root is Connhex's too: an `x-api-key` header picks Zenskar.
  routes: { prefix: '/zenskar', collection: '/customers', update: 'PATCH', root: 'shared' },
  // The path takes the customer's UUID; an external_id resolves too (a UUID is tried first).
  ids: ['uuid', 'external_id'],
  idempotency: false,
  auth: {
    credentials: credentialsZenskar,
    principal: principalZenskar,
    ownsRequest: ownsRequestZenskar,
    checkRequest: checkRequestZenskar,
    async issueCredentials(mint) {
      const api_key = await mint.apiKey('zenskar', 'zsk_');
      return { api_key, organisation: mint.tenantId };
    },
  },
  wire: {
    bodies: ['json'],
    request: { update: UpdateRequestZenskar, create: CreateRequestZenskar },
    render,
    renderError: renderErrorZenskar,
    list: listZenskar,
    openapi: openapiZenskar,
    // FastAPI's default status: the seed declares no 201 anywhere.
    createdStatus: 200,
  },
  translation: {
    updatePatch: toPatch,
    createPatch: toPatch,
    fromPatch,
    coverage: coverageZenskar,
  },
  client: clientZenskar,
} satisfies Dialect<UpdateRequestZenskar, CreateRequestZenskar>;
