export * from './errors.ts';
export * from './fields.ts';
export * from './request.ts';
export * from './list.ts';
export * from './delete.ts';
