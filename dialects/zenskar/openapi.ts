import * as v from 'valibot';
import type { DialectOpenApi } from '../../src/dialect.ts';
import { apiVersions } from './auth.ts';
import { ErrorResponseZenskar } from './errors.ts';

export const openapiZenskar = {
  securitySchemes: {
    apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The API key.' },
    organisation: { type: 'apiKey', in: 'header', name: 'organisation', description: "The API key's organisation (tenant UUID)." },
  },
  security: [['apiKey', 'organisation']],
  errorResponse: ErrorResponseZenskar,
  headers: [{ name: 'apiversion', description: 'The API version; absent means the default.', schema: v.picklist(apiVersions) }],
} as const satisfies DialectOpenApi;
