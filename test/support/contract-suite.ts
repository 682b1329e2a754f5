import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from '../../dialects/index.ts';
import { type AnyDialect, type ErrorCode, GatewayError } from '../../src/contract/dialect.ts';
import { jsonInit, testGateway } from './gateway.ts';
import { conformance, type RecordingGateway, recording } from './openapi-conformance.ts';

// The dialect contract: every dialect of a registry, the same checks. A new dialect is covered by
// adding it to the registry (with its fixtures), nothing else: test/contract.test.ts runs this over
// the shipped registry, test/new-dialect.test.ts over one with a throw-away dialect added.

/** What the dialect's own renderer makes of an error: the status and top-level envelope keys. */
function envelope(dialect: AnyDialect, code: ErrorCode, details = {}) {
  const { status, body } = dialect.wire.renderError(new GatewayError(code, 'x', details));
  return { status, keys: Object.keys(body as object).sort() };
}

async function expectError(res: Response, dialect: AnyDialect, code: ErrorCode, details = {}) {
  const expected = envelope(dialect, code, details);
  const body = (await res.json()) as object;
  expect(res.status).toBe(expected.status);
  expect(Object.keys(body).sort()).toEqual(expected.keys);
  return body;
}

/** The contract suite over the named dialects of `entries` (all of them unless told), served together. */
export function contractSuite(entries: Registry, names: readonly string[] = Object.keys(entries)): void {
  describe.each(names.map((name) => [name, entries[name]!] as const))('dialect contract: %s', (_name, { dialect, fixtures: ex }) => {
    const base = `${dialect.routes.prefix}${dialect.routes.collection}`;
    let gw: RecordingGateway;
    let auth: Record<string, string>;
    let ref: string;
    let uuid: string;

    const send = (method: string, path: string, body: unknown, headers = auth) => gw.request(path, jsonInit(method, body, headers));

    beforeAll(async () => {
      gw = recording(await testGateway({}, entries));
      auth = ex.auth(gw.tenant.credentials[dialect.name]!);
      const res = await send('POST', base, ex.create);
      expect(res.status).toBe(dialect.wire.createdStatus);
      ref = ex.idOf(await res.json());
      uuid = (await gw.canonical(ref)).ids.uuid as string;
    });

    /** Asserts that nothing was written: same version as before. */
    async function unchanged(during: () => Promise<void>) {
      const before = await gw.canonical(uuid);
      await during();
      expect(await gw.canonical(uuid)).toEqual(before);
    }

    describe('happy', () => {
      it('creates, reads and updates a customer, in the seed response shape', async () => {
        const read = await gw.request(`${base}/${ref}`, { headers: auth });
        expect(read.status).toBe(200);
        expect(read.headers.get('etag')).toMatch(/^"v\d+"$/);
        const shown = await read.json();
        expect(v.safeParse(ex.response, shown).issues).toBeUndefined();

        const res = await send(dialect.routes.update, `${base}/${ref}`, ex.update);
        expect(res.status).toBe(200);
        const updated = await res.json();
        expect(v.safeParse(ex.response, updated).issues).toBeUndefined();
        expect(ex.idOf(updated)).toBe(ref);
      });

      it('updates when If-Match names the current version, alone or among others in a list', async () => {
        const etag = async () => (await gw.request(`${base}/${ref}`, { headers: auth })).headers.get('etag') ?? '';
        const alone = await send(dialect.routes.update, `${base}/${ref}`, ex.setName('Matched'), { ...auth, 'if-match': await etag() });
        expect(alone.status).toBe(200);
        // RFC 9110 §13.1.1: a list matches when any of its entity-tags does.
        const listed = await send(dialect.routes.update, `${base}/${ref}`, ex.setName('Listed'), {
          ...auth,
          'if-match': `"v0", ${await etag()}`,
        });
        expect(listed.status).toBe(200);
        expect(ex.name(await listed.json())).toBe('Listed');
      });

      it('leaves absent fields unchanged and clears what the dialect clears', async () => {
        await send(dialect.routes.update, `${base}/${ref}`, ex.update);
        const phone = (await gw.canonical(uuid)).phone;
        expect(phone).toEqual(expect.any(String));

        const renamed = await send(dialect.routes.update, `${base}/${ref}`, ex.setName('Renamed Customer'));
        expect(renamed.status).toBe(200);
        expect(ex.name(await renamed.json())).toBe('Renamed Customer');
        expect((await gw.canonical(uuid)).phone).toBe(phone);

        if (ex.clearPhone !== undefined) {
          const cleared = await send(dialect.routes.update, `${base}/${ref}`, ex.clearPhone);
          expect(cleared.status).toBe(200);
          expect((await gw.canonical(uuid)).phone).toBeNull();
        }
      });

      it('is reachable at the root path as well as under its prefix', async () => {
        if (dialect.routes.root === false) return;
        const res = await gw.request(`${dialect.routes.collection}/${ref}`, { headers: auth });
        expect(res.status).toBe(200);
        expect(ex.idOf(await res.json())).toBe(ref);
      });
    });

    describe('errors', () => {
      it('refuses an unknown customer', async () => {
        const missing = ex.ref({ uuid: '00000000-0000-4000-8000-000000000000', public_id: 'cus_doesnotexist00', number: 999999 });
        await expectError(await gw.request(`${base}/${missing}`, { headers: auth }), dialect, 'not_found', { reference: missing });
        await expectError(await send(dialect.routes.update, `${base}/${missing}`, ex.setName('x')), dialect, 'not_found', {
          reference: missing,
        });
      });

      it('refuses an invalid body, names the field and writes nothing', async () => {
        await unchanged(async () => {
          const body = await expectError(await send(dialect.routes.update, `${base}/${ref}`, ex.invalid.body), dialect, 'invalid_request', {
            issues: [{ path: [ex.invalid.field], kind: 'format', message: 'x' }],
          });
          expect(JSON.stringify(body)).toContain(ex.invalid.field);
        });
      });

      it('refuses a body that is not JSON, and writes nothing', async () => {
        await unchanged(async () => {
          const res = await gw.request(`${base}/${ref}`, {
            method: dialect.routes.update,
            headers: { ...auth, 'content-type': 'application/json' },
            body: '{"name": ',
          });
          await expectError(res, dialect, 'malformed_body');
        });
      });

      it('refuses a body of a media type it does not take in its envelope, and writes nothing', async () => {
        await unchanged(async () => {
          const res = await gw.request(`${base}/${ref}`, {
            method: dialect.routes.update,
            headers: { ...auth, 'content-type': 'text/plain' },
            body: 'name=x',
          });
          await expectError(res, dialect, 'unsupported_media_type');
        });
      });

      it('answers an unknown route under its prefix in its not-found envelope', async () => {
        await expectError(await gw.request(`${base}/${ref}/nothing-here`, { headers: auth }), dialect, 'not_found');
      });

      it('refuses a body over the size limit with its 413, and writes nothing', async () => {
        await unchanged(async () => {
          const res = await gw.request(`${base}/${ref}`, {
            method: dialect.routes.update,
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'x'.repeat(gw.config.bodyLimitBytes + 1) }),
          });
          await expectError(res, dialect, 'payload_too_large');
        });
      });

      it('refuses a weak tag of the current version, and a list without it, with 412', async () => {
        const etag = (await gw.request(`${base}/${ref}`, { headers: auth })).headers.get('etag') ?? '';
        await unchanged(async () => {
          // If-Match compares strongly: W/"v3" never matches, even the current version.
          for (const ifMatch of [`W/${etag}`, '"v0", "v999999"']) {
            const res = await send(dialect.routes.update, `${base}/${ref}`, ex.setName('Stale'), { ...auth, 'if-match': ifMatch });
            await expectError(res, dialect, 'precondition_failed');
          }
        });
      });

      it('refuses an If-Match that is not the current version with 412, and writes nothing', async () => {
        await unchanged(async () => {
          const res = await send(dialect.routes.update, `${base}/${ref}`, ex.setName('Stale'), { ...auth, 'if-match': '"v0"' });
          await expectError(res, dialect, 'precondition_failed');
        });
      });
    });

    describe('security', () => {
      it('refuses a request with no credential', async () => {
        await unchanged(async () => {
          await expectError(await send(dialect.routes.update, `${base}/${ref}`, ex.setName('x'), {}), dialect, 'unauthenticated', {
            reason: 'missing',
          });
        });
        await expectError(await gw.request(`${base}/${ref}`), dialect, 'unauthenticated', { reason: 'missing' });
      });

      it('refuses a credential that does not verify', async () => {
        await unchanged(async () => {
          await expectError(await send(dialect.routes.update, `${base}/${ref}`, ex.setName('x'), ex.badAuth), dialect, 'unauthenticated', {
            reason: 'invalid',
          });
        });
      });

      it("treats another tenant's customer exactly as a missing one", async () => {
        const otherAuth = ex.auth(gw.other.credentials[dialect.name]!);
        const missing = ex.ref({ uuid: '00000000-0000-4000-8000-000000000000', public_id: 'cus_doesnotexist00', number: 999999 });
        const normalise = async (res: Response, id: string) => ({
          status: res.status,
          body: JSON.stringify(await res.json()).replaceAll(id, '<ref>'),
        });
        await unchanged(async () => {
          const foreign = await normalise(await send(dialect.routes.update, `${base}/${ref}`, ex.setName('hijack'), otherAuth), ref);
          const absent = await normalise(await send(dialect.routes.update, `${base}/${missing}`, ex.setName('hijack'), otherAuth), missing);
          expect(foreign).toEqual(absent);
          expect(foreign.status).toBe(envelope(dialect, 'not_found').status);
        });
        const read = await normalise(await gw.request(`${base}/${ref}`, { headers: otherAuth }), ref);
        const readMissing = await normalise(await gw.request(`${base}/${missing}`, { headers: otherAuth }), missing);
        expect(read).toEqual(readMissing);
      });

      it('never answers with a stack trace or the secret', async () => {
        const res = await send(dialect.routes.update, `${base}/${ref}`, { name: { deeply: [1, { nested: null }] } });
        const text = await res.text();
        expect(res.status).toBeLessThan(500);
        expect(text).not.toMatch(/\bat .+\.ts:\d+/);
        for (const secret of Object.values(gw.tenant.credentials[dialect.name]!)) expect(text).not.toContain(secret);
      });
    });

    // Last: the answers of every test above, against the dialect's OpenAPI document.
    describe('OpenAPI conformance', () => {
      it('every answer above, success and error, conforms to the response schema its document gives for its status', () => {
        const result = conformance(dialect, gw.exchanges, ex.response);
        expect(result.problems).toEqual([]);
        const errors = new Set(result.statuses.map((s) => Number(s.split(' ').at(-1))).filter((status) => status >= 400));
        expect(errors.size).toBeGreaterThanOrEqual(5);
        // Only the unknown route's 404 falls outside the documented operations.
        expect(result.undocumented.every((x) => x.includes('/nothing-here'))).toBe(true);
        expect(result.checked).toBeGreaterThan(20);
      });
    });
  });
}
