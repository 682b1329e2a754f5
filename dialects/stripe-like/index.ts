export * from './errors.ts';
export * from './mapping.ts';
export * from './request.ts';
export * from './from-patch.ts';
export * from './list.ts';
export * from './delete.ts';
