import { type Command, InvalidArgumentError } from 'commander';
import type { AnyDialect } from '../contract/dialect.ts';
import type { GivenCredentials } from '../gateway/given-keys.ts';
import { keySchemes } from '../gateway/given-keys.ts';

// `tenant create --wooshpay-key sk_test_… --zenskar-key … --organisation <uuid>`: one option per
// key kind the registry's dialects declare, so a new dialect with API keys gets its flag for free.

const optionKey = (kind: string): string => `${kind}Key`.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Adds the given-credential options to `tenant create`. */
export function givenKeyOptions(command: Command, all: readonly AnyDialect[]): Command {
  for (const [kind, { dialect }] of keySchemes(all)) {
    command.option(`--${kind}-key <secret>`, `use this ${dialect.title} API key instead of generating one`);
  }
  return command
    .option('--organisation <uuid>', "use this UUID as the tenant's id (Zenskar's organisation, Bigcapital's organization-id)")
    .option('--allow-given-keys', 'with NODE_ENV=production: accept given keys (refused there by default)');
}

/** The credentials the options give, or undefined; refused in production unless allowed. */
export function givenFrom(
  opts: Readonly<Record<string, unknown>>,
  production: boolean,
  all: readonly AnyDialect[],
): GivenCredentials | undefined {
  const keys: Record<string, string> = {};
  for (const kind of keySchemes(all).keys()) {
    const value = opts[optionKey(kind)];
    if (typeof value === 'string') keys[kind] = value;
  }
  const tenantId = typeof opts.organisation === 'string' ? opts.organisation.trim().toLowerCase() : undefined;
  if (Object.keys(keys).length === 0 && tenantId === undefined) return undefined;
  // A key chosen by a person (and typed on a command line) is weaker than a generated one.
  if (production && opts.allowGivenKeys !== true) {
    throw new InvalidArgumentError('given keys are refused with NODE_ENV=production; add --allow-given-keys to accept them');
  }
  return { keys, ...(tenantId !== undefined ? { tenantId } : {}) };
}
