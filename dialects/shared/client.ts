// What the JSON providers' client halves send with every request (the Stripe-like ones send a
// form: dialects/stripe-like/client.ts has their headers).

export const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json' } as const;
