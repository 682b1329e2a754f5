export * from './api-keys.ts';
export * from './crypto.ts';
export * from './jwt.ts';
export * from './token-cache.ts';
