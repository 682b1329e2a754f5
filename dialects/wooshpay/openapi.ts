import type { DialectOpenApi } from '../../src/dialect.ts';
import { ErrorResponseStripe } from '../stripe-like/index.ts';

export const openapiWooshpay = {
  securitySchemes: {
    basicAuth: { type: 'http', scheme: 'basic', description: 'The secret key (`sk_test_…`/`sk_live_…`) as the user name, no password.' },
    bearerAuth: { type: 'http', scheme: 'bearer', description: 'The secret key as a bearer token, as Stripe SDKs send it.' },
  },
  security: [['basicAuth'], ['bearerAuth']],
  errorResponse: ErrorResponseStripe,
} as const satisfies DialectOpenApi;
