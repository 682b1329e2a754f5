import { stripeErrorRenderer } from '../stripe-like/index.ts';

export const renderErrorWooshpay = stripeErrorRenderer({
  missingMessage:
    "You did not provide an API key. You need to provide your API key in the Authorization header, using Basic auth (e.g. 'Authorization: Basic base64(sk_test_…:)') or Bearer auth (e.g. 'Authorization: Bearer sk_test_…').",
  invalidMessage: 'Invalid API Key provided.',
});
