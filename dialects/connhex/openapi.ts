import type { DialectOpenApi } from '../../src/dialect.ts';
import { ErrorResponseStripe } from '../stripe-like/index.ts';

export const openapiConnhex = {
  securitySchemes: {
    bearerJwt: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'A JWT naming the tenant and the permitted actions (`pay:customers:get`, `pay:customers:update`).',
    },
  },
  security: [['bearerJwt']],
  errorResponse: ErrorResponseStripe,
} as const satisfies DialectOpenApi;
