import type { ClientPage } from '../contract/client.ts';

// The checks a provider's answer passes before anything of it is read (src/upstream/client.ts),
// and, for a page of its customer list, the same checks item by item: what is wrong inside one
// customer is that customer's, not the page's (`upstream import` leaves it out and names it).

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
export const hasControl = (text: string): boolean => /[\u0000-\u001f\u007f]/.test(text);

/** Keys that would reach an object's prototype if the answer were ever merged with assignment. */
const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

/** Deeper than this, an answer is refused (no provider's customer is). */
const maxDepth = 32;

/** What a walk (walkFor) looks for: in a string value, in a key, and past a depth. Each names what it found. */
export interface Finds {
  readonly text: (text: string) => string | undefined;
  readonly key: (key: string) => string | undefined;
  readonly deep?: (depth: number) => string | undefined;
}

/**
 * The first thing `finds` names in a value, walked depth first (keys before their members); the
 * walk the answer checks and a proxied write's NUL check (nul-sent.ts) share.
 */
export function walkFor(finds: Finds, value: unknown, depth: number): string | undefined {
  const deep = finds.deep?.(depth);
  if (deep) return deep;
  if (typeof value === 'string') return finds.text(value);
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, member] of Object.entries(value)) {
    const found = finds.key(key) ?? walkFor(finds, member, depth + 1);
    if (found) return found;
  }
  return undefined;
}

const answerFinds: Finds = {
  deep: (depth) => (depth > maxDepth ? 'a body nested too deep' : undefined),
  text: (text) => (text.includes('\u0000') ? 'a NUL character in a value' : undefined),
  key: (key) => (forbiddenKeys.has(key) ? `a forbidden key ${key}` : key.includes('\u0000') ? 'a NUL character in a key' : undefined),
};

/**
 * The checks a client's body passes, on a provider's answer: no prototype keys, no NUL (which
 * PostgreSQL cannot store and SQLite can), no absurd depth. Returns what is wrong, if anything.
 */
export const answerProblem = (value: unknown, depth: number): string | undefined => walkFor(answerFinds, value, depth);

/** What is wrong in one list item, naming the member it is in (the provider's name for it). */
function itemProblem(item: unknown, depth: number): string | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return answerProblem(item, depth);
  for (const [key, member] of Object.entries(item)) {
    const found = answerProblem({ [key]: member }, depth);
    if (found) return forbiddenKeys.has(key) || key.includes('\u0000') ? found : `${found} (${key})`;
  }
  return undefined;
}

/**
 * The item with what the checks refuse taken out (keys, depth): read only to learn which customer
 * it is, and never stored. A NUL stays in its value, so that an id holding one is read as it is,
 * and named as that customer's refusal (listed-page.ts) rather than as another id.
 */
function stripped(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > maxDepth) return null;
  if (Array.isArray(value)) return value.map((v) => stripped(v, depth + 1));
  const kept = Object.entries(value).filter(([key]) => !forbiddenKeys.has(key) && !key.includes('\u0000'));
  return Object.fromEntries(kept.map(([key, member]) => [key, stripped(member, depth + 1)]));
}

export interface ScreenedList {
  /** The body to read the page from: the flagged items with their bad parts taken out. */
  readonly body: unknown;
  /** The flagged items: the member holding them, and what is wrong, by index. */
  readonly flagged?: { readonly member: string; readonly problems: ReadonlyMap<number, string> };
}

/**
 * A list answer checked as any answer is, except inside the items of its list (an array member
 * of the page): a problem there is the item's, so the page stays readable. `problem`: what is
 * wrong outside the items (the whole page then).
 */
export function screenList(body: unknown): ScreenedList | { readonly problem: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const problem = answerProblem(body, 0);
    return problem ? { problem } : { body };
  }
  let flagged: ScreenedList['flagged'];
  const members: [string, unknown][] = [];
  for (const [key, member] of Object.entries(body)) {
    if (forbiddenKeys.has(key)) return { problem: `a forbidden key ${key}` };
    if (key.includes('\u0000')) return { problem: 'a NUL character in a key' };
    if (!Array.isArray(member)) {
      const problem = answerProblem(member, 1);
      if (problem) return { problem };
      members.push([key, member]);
      continue;
    }
    const problems = new Map<number, string>();
    member.forEach((item, i) => {
      const problem = itemProblem(item, 2);
      if (problem) problems.set(i, problem);
    });
    // One list of customers per page; a second array with a problem is not one the page is read by.
    if (problems.size > 0 && flagged !== undefined) return { problem: [...problems.values()][0]! };
    if (problems.size > 0) flagged = { member: key, problems };
    members.push([key, problems.size === 0 ? member : member.map((item, i) => (problems.has(i) ? stripped(item, 2) : item))]);
  }
  return { body: Object.fromEntries(members), ...(flagged ? { flagged } : {}) };
}

/**
 * The page's flagged customers by id. A flagged item's id must be one of its own members as the
 * provider sent it (its bad parts were elsewhere): an id that was itself changed by the taking
 * out names no customer, and the page is refused (undefined).
 */
export function flaggedCustomers(raw: unknown, screened: ScreenedList, page: ClientPage): Map<string, string> | undefined {
  const found = new Map<string, string>();
  if (!screened.flagged) return found;
  const items = (raw as Record<string, unknown>)[screened.flagged.member] as unknown[];
  if (page.customers.length !== items.length) return undefined;
  for (const [i, problem] of screened.flagged.problems) {
    const id = page.customers[i]!.id;
    const item = items[i];
    const own = typeof item === 'object' && item !== null && Object.values(item).some((v) => typeof v !== 'object' && String(v) === id);
    if (!own) return undefined;
    found.set(id, problem);
  }
  return found;
}
