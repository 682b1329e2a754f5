import { stripeErrorRenderer } from '../stripe-like/index.ts';

export const renderErrorConnhex = stripeErrorRenderer({
  missingMessage: "You did not provide a token. Send it in the Authorization header with Bearer auth (e.g. 'Authorization: Bearer <JWT>').",
  invalidMessage: 'Invalid, expired or malformed token provided.',
});
