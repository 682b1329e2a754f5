import type { AnyDialect } from '../src/contract/dialect.ts';
import type { DialectName } from './index.ts';

/**
 * The registry one dialect at a time: each entry imports its dialect's folder alone, for a CLI
 * command that needs only its upstreams' dialects (`custgate upstream …`). The same names as the
 * static registry (index.ts), which `serve` and the Worker keep using: workerd bundles statically.
 */
export const dialectLoaders = {
  wooshpay: async () => (await import('./wooshpay/index.ts')).wooshpay,
  bigcapital: async () => (await import('./bigcapital/index.ts')).bigcapital,
  meteroid: async () => (await import('./meteroid/index.ts')).meteroid,
  connhex: async () => (await import('./connhex/index.ts')).connhex,
  zenskar: async () => (await import('./zenskar/index.ts')).zenskar,
} satisfies Record<DialectName, () => Promise<AnyDialect>>;
