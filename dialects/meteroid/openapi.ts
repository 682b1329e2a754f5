import type { DialectOpenApi } from '../../src/dialect.ts';
import { ErrorResponseMeteroid } from './errors.ts';

export const openapiMeteroid = {
  securitySchemes: {
    bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key (`pv_test_…`/`pv_live_…`).' },
  },
  security: [['bearerAuth']],
  errorResponse: ErrorResponseMeteroid,
} as const satisfies DialectOpenApi;
