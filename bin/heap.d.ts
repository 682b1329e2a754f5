// The types of bin/heap.js (plain JavaScript: the bin runs before any compiler).
export declare const heapGrowingBounds: { readonly min: number; readonly max: number; readonly serveDefault: number };
export declare function heapGrowingFlag(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  execArgv: readonly string[],
): string | undefined;
