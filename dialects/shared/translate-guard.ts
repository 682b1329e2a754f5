import * as v from 'valibot';
import type { Loss } from '../../src/contract/dialect.ts';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const memberKey = (issue: v.BaseIssue<unknown>): string | undefined => {
  const key = issue.path?.[0]?.key;
  return typeof key === 'string' ? key : undefined;
};

/**
 * Leaves out of a translated body each value the target's own request schema refuses, with an
 * `inexpressible` loss: a value valid in the source need not be valid in the target (a phone longer
 * than Stripe's 20 characters, an email Bigcapital's stricter check refuses), and a translation
 * must be a body the target accepts. Members of an object (an address) are left out one by one, so
 * one bad line does not cost the whole address. Properties the entries do not name are kept.
 */
export function keepAccepted(
  entries: v.ObjectEntries,
  body: Record<string, unknown>,
  context: { readonly title: string; readonly fieldOf: (property: string) => string },
  losses: Loss[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  for (const [property, value] of Object.entries(body)) {
    const schema = entries[property];
    if (!schema) continue;
    const result = v.safeParse(schema, value);
    if (result.success) continue;
    const field = context.fieldOf(property);
    const members = result.issues.map(memberKey);
    if (isRecord(value) && members.every((m) => m !== undefined)) {
      const kept = { ...value };
      const memberLosses: Loss[] = [];
      for (const issue of result.issues) {
        const member = memberKey(issue)!;
        if (!(member in kept)) continue;
        delete kept[member];
        memberLosses.push({
          field: `${field}.${member}`,
          kind: 'inexpressible',
          message: `${context.title} refuses this ${property}.${member} (${issue.message}); it is left out.`,
        });
      }
      if (v.safeParse(schema, kept).success) {
        out[property] = kept;
        losses.push(...memberLosses);
        continue;
      }
    }
    delete out[property];
    losses.push({
      field,
      kind: 'inexpressible',
      message: `${context.title} refuses this ${property} (${result.issues[0].message}); it is left out.`,
    });
  }
  return out;
}
