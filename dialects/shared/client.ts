// What the JSON providers' client halves send with every request (every provider's reference
// documents JSON; the Stripe-like ones send Stripe's form only to an upstream added with
// `--encoding form`: dialects/stripe-like/client.ts).

export const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json' } as const;
