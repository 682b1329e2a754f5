import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './support/process.ts';
import { type TestGateway, testGateway } from './support/gateway.ts';

let gw: TestGateway;
let auth: Record<string, string>;

const translate = (query: string, body: unknown, headers = auth) =>
  gw.request(`/gateway/v1/translate?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  gw = await testGateway();
  auth = { authorization: `Bearer ${gw.tenant.credentials.wooshpay!.secret_key}` };
});

describe('translate: happy', () => {
  it('returns the equivalent body and an empty loss report when nothing is lost', async () => {
    const res = await translate('from=wooshpay&to=wooshpay', { name: 'A', phone: '', metadata: { a: '1', b: '' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      from: 'wooshpay',
      to: 'wooshpay',
      body: { name: 'A', phone: '', metadata: { a: '1', b: '' } },
      losses: [],
    });
  });

  it('the CLI does the same from standard input', async () => {
    const { execFile } = await import('node:child_process');
    const result = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(process.execPath, [cli, 'translate', '--from', 'wooshpay', '--to', 'wooshpay'], (error, stdout) =>
        resolve({ code: error ? (error as { code?: number }).code ?? 1 : 0, stdout }),
      );
      child.stdin!.end(JSON.stringify({ name: 'CLI' }));
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ body: { name: 'CLI' }, losses: [] });
  });
});

describe('translate: errors', () => {
  it('refuses an unknown dialect and an invalid source body, in the gateway envelope', async () => {
    const unknown = await translate('from=wooshpay&to=nowhere', { name: 'A' });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: { code: 'invalid_request' } });
    const invalid = await translate('from=wooshpay&to=wooshpay', { nickname: 'A' });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { code: 'invalid_request', issues: [{ path: ['nickname'], kind: 'unknown' }] } });
  });

  it('needs a credential', async () => {
    expect((await translate('from=wooshpay&to=wooshpay', { name: 'A' }, {})).status).toBe(401);
  });
});
