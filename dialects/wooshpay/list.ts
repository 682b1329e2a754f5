import { listStripe } from '../stripe-like/index.ts';

/** Wooshpay lists customers as Stripe does (dialects/stripe-like/list.ts). */
export const listWooshpay = listStripe;
