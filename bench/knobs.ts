import { dialects } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';

// The benchmark scripts' settings from the environment; each script lists its own at its top.

/** The number the variable `name` holds, or `fallback` where it is unset or empty. */
export function numberKnob(name: string, fallback: number): number {
  const raw = process.env[name];
  return raw === undefined || raw === '' ? fallback : Number(raw);
}

/** The dialect the variable `name` names (Wooshpay where it is unset); a name no dialect has stops the script. */
export function dialectKnob(name: string): AnyDialect {
  const wanted = process.env[name] ?? 'wooshpay';
  const dialect = Object.values(dialects).find((d) => d.name === wanted);
  if (!dialect) throw new Error(`${name}: no dialect ${wanted}`);
  return dialect;
}
