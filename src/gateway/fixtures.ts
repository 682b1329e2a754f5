import { parse as parseYaml } from 'yaml';
import type { GatewayConfig } from '../config.ts';
import type { AnyDialect, Principal } from '../contract/dialect.ts';
import type { Customer } from '../../schemas/index.ts';
import { isGatewayError } from '../contract/errors.ts';
import { dialectPath, inDialectTerms } from '../contract/field-path.ts';
import { inWords, validate } from '../contract/validate.ts';
import { CustomerService, createdFields, newCustomer, newPublicId, uuidPattern } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { deleteCustomers } from '../store/tenant-reset.ts';

// Seed data for a dev server (`custgate fixtures load`, `serve --fixtures`, startGateway), in the
// spirit of the Stripe CLI's `stripe fixtures`: a list of customers, each in one dialect's create
// shape, where a string may name a field of an earlier fixture's answer — `${jenny:id}` — as
// https://docs.stripe.com/cli/fixtures describes. All or nothing: a file that fails anywhere
// leaves the tenant as it was.
//
//   fixtures:
//     - name: jenny
//       dialect: wooshpay
//       params: { name: Jenny Rosen, email: jenny@example.com }
//     - name: acme
//       dialect: zenskar
//       params: { customer_name: Acme, custom_data: { contact: "${jenny:id}" } }

export class FixtureError extends Error {
  override readonly name = 'FixtureError';
}

interface Fixture {
  readonly name: string;
  readonly dialect: AnyDialect;
  readonly params: unknown;
}

const reference = /\$\{([^}:]+):([^}]+)\}/g;
const wholeReference = /^\$\{([^}:]+):([^}]+)\}$/;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The file's text as data: JSON, or YAML (of which JSON is a subset). */
export function parseFixtureText(text: string, source: string): unknown {
  try {
    return source.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new FixtureError(`${source}: not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
}

/** Every string in `value` with its path, for the reference check. */
function* strings(value: unknown, path: string): Generator<readonly [string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* strings(item, `${path}[${i}]`);
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) yield* strings(item, `${path}.${key}`);
}

/** The file's shape, dialects and references, checked before anything is written. */
export function checkFile(data: unknown, all: readonly AnyDialect[]): readonly Fixture[] {
  const list = isRecord(data) ? data.fixtures : undefined;
  if (!Array.isArray(list)) throw new FixtureError('The file needs a "fixtures" list (fixtures: [{ name, dialect, params }]).');
  const seen = new Set<string>();
  return list.map((entry, i) => {
    const at = `fixtures[${i}]`;
    if (!isRecord(entry)) throw new FixtureError(`${at}: each fixture is an object with name, dialect and params.`);
    const { name, dialect, params } = entry;
    if (typeof name !== 'string' || !/^[\w.-]{1,64}$/.test(name)) {
      throw new FixtureError(`${at}.name: a name of letters, digits, "_", "." or "-" is required.`);
    }
    const label = `fixture "${name}"`;
    if (seen.has(name)) throw new FixtureError(`${label}: the name is used twice.`);
    const named = all.find((d) => d.name === dialect);
    if (!named) {
      const known = all.map((d) => d.name).join(', ');
      throw new FixtureError(`${label}.dialect: unknown dialect "${String(dialect)}"; use one of ${known}.`);
    }
    if (!isRecord(params)) throw new FixtureError(`${label}.params: the create body, an object, is required.`);
    for (const [path, text] of strings(params, 'params')) {
      for (const [, target] of text.matchAll(reference)) {
        if (!seen.has(target!)) {
          throw new FixtureError(`${label}.${path}: "${text}" names "${target}", which is no fixture before this one.`);
        }
      }
    }
    seen.add(name);
    return { name, dialect: named, params };
  });
}

/** `jenny.address.city` read from an earlier fixture's answer. */
function lookup(answers: ReadonlyMap<string, unknown>, target: string, field: string, where: string): unknown {
  let value: unknown = answers.get(target);
  for (const key of field.split('.')) value = isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined;
  if (value === undefined || (typeof value === 'object' && value !== null)) {
    throw new FixtureError(`${where}: "\${${target}:${field}}": ${target}'s answer has no value at "${field}".`);
  }
  return value;
}

/** params with each reference replaced; a string that is one reference takes the value's own type. */
function resolve(value: unknown, answers: ReadonlyMap<string, unknown>, where: string): unknown {
  if (typeof value === 'string') {
    const whole = wholeReference.exec(value);
    if (whole) return lookup(answers, whole[1]!, whole[2]!, where);
    return value.replace(reference, (_, target: string, field: string) => String(lookup(answers, target, field, where)));
  }
  if (Array.isArray(value)) return value.map((item, i) => resolve(item, answers, `${where}[${i}]`));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, answers, `${where}.${key}`)]));
  }
  return value;
}

/** A dialect's refusal of a body, as one line naming the fixture and each field in the dialect's names. */
function refusal(label: string, dialect: AnyDialect, error: unknown): FixtureError {
  if (error instanceof FixtureError) return error;
  if (!isGatewayError(error)) return new FixtureError(`${label}: ${error instanceof Error ? error.message : String(error)}`);
  const named = inDialectTerms(error, dialect);
  const issues = (named.details.issues ?? []).map(
    (issue) => `${label}.params.${issue.path.join('.')}: ${inWords(issue, `a ${dialect.title} create`).message}`,
  );
  return new FixtureError(issues.length > 0 ? issues.join('; ') : `${label}: ${named.message}`);
}

export interface LoadedFixtures {
  /** Each fixture's answer, by name: the customer as its dialect renders it. */
  readonly customers: Readonly<Record<string, unknown>>;
}

/** Loads checked fixtures into the tenant they were checked for, once; all or nothing. */
export type FixtureLoad = (store: Store) => Promise<LoadedFixtures>;

type Ids = { readonly uuid: string; readonly public_id: string };

/** A fixture's params (references resolved) as its dialect's create maps them: what the core is asked to create. */
function mapped(fixture: Fixture, params: unknown, principal: Principal) {
  const body = validate(fixture.dialect.wire.request.create, params);
  const patch = fixture.dialect.translation.createPatch(body);
  return { patch, request: { principal, dialect: fixture.dialect.name, metadataMaxKeys: fixture.dialect.metadataMaxKeys } };
}

/**
 * Every fixture checked as the load will create it, without writing: the dialect's validation and
 * mapping, the core's checks of a create (src/core/new-customer.ts), and what the store would refuse
 * between the file's own customers (an alias or external_id twice; an external_id that is an
 * earlier fixture's UUID). References resolve against answers rendered from the customers the
 * checks made, with the ids the load will give them, so `${jenny:id}` is the id the load writes.
 * A reset checks this before it empties a tenant (src/cli/reset.ts, src/http/dev-api.ts): a file
 * the load would refuse leaves the tenant's customers where they are.
 *
 * Numbers are the store's to give, one past the tenant's highest: `first`, the tenant's next number
 * for a load now (store.nextNumber), 1 for a load after a reset (an emptied tenant's first). The load
 * reads the tenant's next number again and, where it is not `first` (a create came between), checks
 * again from there before it writes anything. A reference to a number (a Bigcapital `${acme:id}`) is
 * so checked as the load resolves it; before, always from 1, and a `fixtures load` into a tenant
 * with customers could refuse what the check let pass, or the check refuse what the load would take.
 */
export function planFixtures(
  config: GatewayConfig,
  tenant: { readonly id: string; readonly livemode?: boolean },
  data: unknown,
  all: readonly AnyDialect[],
  first = 1,
): FixtureLoad {
  const fixtures = checkFile(data, all);
  const principal: Principal = { tenantId: tenant.id, credentialId: 'fixtures', livemode: tenant.livemode ?? false };
  const planned = checked(config, principal, fixtures, first);
  return async (store) => {
    const next = await store.nextNumber(tenant.id);
    const load = next === first ? planned : checked(config, principal, fixtures, next);
    return createFixtures(store, config, tenant.id, principal, load);
  };
}

/** The fixtures checked as they will be created, numbered from `first`: each with the ids the load gives it. */
function checked(
  config: GatewayConfig,
  principal: Principal,
  fixtures: readonly Fixture[],
  first: number,
): (Fixture & { readonly ids: Ids })[] {
  const answers = new Map<string, unknown>();
  const owners = new Map<string, string>();
  const now = new Date().toISOString();
  return fixtures.map((fixture, i) => {
    const label = `fixture "${fixture.name}"`;
    const params = resolve(fixture.params, answers, `${label}.params`);
    const ids: Ids = { uuid: crypto.randomUUID(), public_id: newPublicId() };
    let customer: Customer;
    try {
      const { patch, request } = mapped(fixture, params, principal);
      const ctx = { ...request, ids };
      customer = newCustomer(createdFields(patch, ctx, config.maxCustomerBytes), ctx, first + i, now);
    } catch (error) {
      throw refusal(label, fixture.dialect, error);
    }
    for (const field of ['alias', 'external_id'] as const) {
      const value = customer[field];
      const owner = value === null ? undefined : owners.get(`${field}:${value}`);
      const where = `${label}.params.${dialectPath(fixture.dialect, [field]).join('.')}`;
      if (owner !== undefined)
        throw new FixtureError(`${where}: "${value}" is fixture "${owner}"'s ${field} already; each customer's is its own.`);
      if (value !== null) owners.set(`${field}:${value}`, fixture.name);
    }
    // As the core refuses it (src/core/customer-service.ts, checkExternalId): a path would name two customers.
    const external = customer.external_id;
    const twin = external !== null && uuidPattern.test(external) ? owners.get(`uuid:${external.toLowerCase()}`) : undefined;
    if (twin !== undefined) {
      const where = `${label}.params.${dialectPath(fixture.dialect, ['external_id']).join('.')}`;
      throw new FixtureError(`${where}: an external_id cannot be another customer's id (fixture "${twin}"'s).`);
    }
    owners.set(`uuid:${ids.uuid}`, fixture.name);
    answers.set(fixture.name, fixture.dialect.wire.render(customer, { expand: [], principal }));
    return { ...fixture, ids };
  });
}

/**
 * Creates the checked fixtures, in order, each as a create through its dialect would (references
 * resolved against the real answers); on any failure the ones already created are deleted. They
 * are local writes: no proxy upstream, outbox delivery or webhook event is made for them.
 */
async function createFixtures(
  store: Store,
  config: GatewayConfig,
  tenantId: string,
  principal: Principal,
  fixtures: readonly (Fixture & { readonly ids: Ids })[],
): Promise<LoadedFixtures> {
  const service = new CustomerService(store, {
    now: () => new Date(),
    maxAttempts: 16,
    writeWaitMs: config.writeWaitMs,
    maxCustomerBytes: config.maxCustomerBytes,
  });
  const answers = new Map<string, unknown>();
  const created: string[] = [];
  try {
    for (const fixture of fixtures) {
      const label = `fixture "${fixture.name}"`;
      const params = resolve(fixture.params, answers, `${label}.params`);
      let customer: Customer;
      try {
        const { patch, request } = mapped(fixture, params, principal);
        created.push(fixture.ids.uuid);
        customer = await service.create(patch, request, { ids: fixture.ids });
      } catch (error) {
        throw refusal(label, fixture.dialect, error);
      }
      answers.set(fixture.name, fixture.dialect.wire.render(customer, { expand: [], principal }));
    }
  } catch (error) {
    await deleteCustomers(store, tenantId, created);
    throw error;
  }
  return { customers: Object.fromEntries(answers) };
}

/** Checks every fixture (planFixtures), then creates them in the tenant: all or nothing. */
export async function loadFixtures(
  store: Store,
  config: GatewayConfig,
  tenant: { readonly id: string; readonly livemode?: boolean },
  data: unknown,
  all: readonly AnyDialect[],
): Promise<LoadedFixtures> {
  return planFixtures(config, tenant, data, all, await store.nextNumber(tenant.id))(store);
}
