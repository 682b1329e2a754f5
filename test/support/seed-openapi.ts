import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { DialectName } from '../../dialects/index.ts';

// The providers' own update documents (test/fixtures/seed-openapi/README.md says where each comes
// from), by dialect name.

export type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  [member: string]: unknown;
};

type Operation = {
  parameters?: { name: string; in: string; [member: string]: unknown }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  [member: string]: unknown;
};

export const seedDocumentFile = (name: DialectName): URL => new URL(`../fixtures/seed-openapi/${name}.yaml`, import.meta.url);

/** The provider's document as published (or, for the prose references, as stated). */
export const seedDocument = (name: DialectName): OpenApiDocument => parse(readFileSync(seedDocumentFile(name), 'utf8')) as OpenApiDocument;

const methods = ['get', 'put', 'post', 'patch'] as const;

/**
 * The update document with the create (collection POST) and the read (item GET) every provider
 * also has: the create takes the update's body, both answer the update's customer. The update
 * operation itself is left exactly as published.
 */
export function judgeDocument(name: DialectName): OpenApiDocument {
  const doc = seedDocument(name);
  const [itemPath, item] = Object.entries(doc.paths)[0] ?? [];
  if (itemPath === undefined || item === undefined) throw new Error(`${name}: the document has no path`);
  const method = methods.find((m) => item[m] !== undefined);
  const update = method && item[method];
  if (update === undefined) throw new Error(`${name}: no update operation at ${itemPath}`);
  const ok = { '200': update.responses['200'] };
  const pathParameters = (update.parameters ?? []).filter((p) => p.in === 'path');
  const otherParameters = (update.parameters ?? []).filter(
    (p) => p.in !== 'path' && !['accept', 'content-type'].includes(p.name.toLowerCase()),
  );
  const { security } = update;
  const shared = security === undefined ? {} : { security };
  item.get ??= { summary: 'Retrieve a customer', parameters: [...pathParameters, ...otherParameters], responses: ok, ...shared };
  const collection = itemPath.slice(0, itemPath.lastIndexOf('/'));
  doc.paths[collection] = {
    post: {
      summary: 'Create a customer',
      parameters: (update.parameters ?? []).filter((p) => p.in !== 'path'),
      requestBody: update.requestBody,
      responses: ok,
      ...shared,
    },
  };
  return doc;
}
