import type { DialectOpenApi } from '../../src/contract/dialect.ts';
import { ErrorResponseBigcapital } from './errors.ts';

export const openapiBigcapital = {
  securitySchemes: {
    apiKey: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'bc_ API key',
      description: 'An organization API key (`bc_` and 96 hex digits).',
    },
    jwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A user JWT listing the organizations it may act for.' },
    organizationId: {
      type: 'apiKey',
      in: 'header',
      name: 'organization-id',
      description: 'The organization (tenant UUID) a JWT acts for.',
    },
  },
  security: [['apiKey'], ['jwt', 'organizationId']],
  errorResponse: ErrorResponseBigcapital,
} as const satisfies DialectOpenApi;
