export * from './country.ts';
export * from './currency.ts';
export * from './customer.ts';
export * from './patch.ts';
export * from './limits.ts';
