/**
 * How a webhook is signed: Stripe's `Stripe-Signature` (https://docs.stripe.com/webhooks#verify-manually)
 * or Standard Webhooks' `webhook-signature` (https://www.standardwebhooks.com/). Both the outbound
 * webhooks and the upstreams' inbound events speak one of these.
 */
export type WebhookFormat = 'stripe' | 'standard';
