// The types of bin/heap.js (plain JavaScript: the bin runs before any compiler).
export declare const heapGrowingBounds: { readonly min: number; readonly max: number; readonly serveDefault: number };
export declare function heapGrowingFlag(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  execArgv: readonly string[],
): string | undefined;
export declare const youngGenerationBounds: { readonly min: number; readonly max: number; readonly serveDefault: number };
export declare function youngGenerationCap(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  execArgv: readonly string[],
): number | undefined;
export declare function capYoungGeneration(
  mb: number,
  v8: {
    setFlagsFromString(flag: string): void;
    getHeapSpaceStatistics(): readonly {
      readonly space_name: string;
      readonly space_size: number;
      readonly space_used_size: number;
      readonly space_available_size: number;
    }[];
  },
  perfHooks: typeof import('node:perf_hooks'),
  channels: typeof import('node:diagnostics_channel'),
): { steer(): void; stop(): void };
