export * from './apply-patch.ts';
export * from './customer-row.ts';
export * from './customer-service.ts';
export * from './idempotency.ts';
export * from './ids.ts';
export * from './customer-list.ts';
export * from './replicas.ts';
export * from './via.ts';
export { checkUpdateConditions } from './write-checks.ts';
