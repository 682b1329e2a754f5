export * from './executor.ts';
export { migrations } from './migrations.ts';
export type { Database, LeasedRow } from './schema.ts';
export * from './store.ts';
export * from './outbox.ts';
export * from './upstream-links.ts';
export * from './upstreams.ts';
export * from './imports.ts';
export * from './create-attempts.ts';
