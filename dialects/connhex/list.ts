import { listStripe } from '../stripe-like/index.ts';

/** Connhex lists customers as Stripe does (dialects/stripe-like/list.ts). */
export const listConnhex = listStripe;
