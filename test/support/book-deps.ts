import { bookDeps as bookDepsOf } from '../../src/cli/book.ts';
import type { Env } from '../../src/cli/with-store.ts';
import type { Store } from '../../src/store/index.ts';
import { registeredDialects } from './registered.ts';

// The migration commands' dependencies as src/entries/cli.ts builds them (the static registry).
// Apart from registered.ts: the CLI opens stores, which the Workers tests cannot load.

export const bookDeps = (store: Store, env: Env) => bookDepsOf(store, env, registeredDialects);
