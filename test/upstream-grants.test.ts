import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCredentials } from '../src/contract/dialect.ts';
import { cli, freePort, runCli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';

// A Connhex token grants actions by name (dialects/connhex/auth.ts). `tenant create` issues the
// least one a client needs to read and write (pay:customers:get, pay:customers:update): added as
// an upstream with it, a mirror's deletes are refused by the provider and stay pending. The CLI
// says so when the upstream is added, naming the permission, instead of leaving it to the first
// delete; a token minted with the permission adds without a word.

let env: Record<string, string>;
let tenant: { tenant: { id: string }; credentials: Record<string, IssuedCredentials> };
let baseUrl: string;

beforeAll(async () => {
  env = { NODE_ENV: 'test', ...testDatabaseEnv() };
  tenant = JSON.parse(await runCli(['tenant', 'create', 'grants', '--json'], env));
  // Nothing listens there: adding an upstream does not call it.
  baseUrl = `http://127.0.0.1:${await freePort()}/connhex`;
}, 120_000);

async function add(mode: string, token: string) {
  const args = ['upstream', 'add', tenant.tenant.id, '--dialect', 'connhex', '--base-url', `${baseUrl}-${mode}`, '--mode', mode];
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [cli, ...args, '--credentials', JSON.stringify({ token }), '--json'],
    {
      env: { ...process.env, ...env },
    },
  );
  return { added: JSON.parse(stdout) as { id: string; mode: string; warnings?: string[] }, stderr };
}

const mint = async (permissions: string) =>
  (
    JSON.parse(await runCli(['token', 'mint', tenant.tenant.id, '--dialect', 'connhex', '--permissions', permissions, '--json'], env)) as {
      token: string;
    }
  ).token;

describe('upstream add: a Connhex token without the permissions its mode needs', () => {
  it('is added with a warning naming what is missing (the default token as a mirror lacks delete); a token granting it: no warning', async () => {
    const [readOnly, wildcard] = await Promise.all([mint('pay:customers:get'), mint('pay:*')]);
    const [narrow, proxy, covered] = await Promise.all([
      add('mirror', tenant.credentials.connhex!.token!),
      add('proxy', readOnly),
      add('shadow', wildcard),
    ]);
    expect(narrow.added.mode).toBe('mirror');
    expect(narrow.added.warnings).toEqual([expect.stringContaining('lack pay:customers:delete, which a mirror upstream needs')]);
    expect(narrow.stderr).toContain('custgate: warning: The connhex credentials lack pay:customers:delete');
    expect(narrow.stderr).toContain('--permissions <its permissions>,pay:customers:delete');
    expect(proxy.added.warnings).toEqual([expect.stringContaining('lack pay:customers:update, pay:customers:delete, which a proxy')]);
    expect(covered.added.mode).toBe('shadow');
    expect(covered.added.warnings).toBeUndefined();
    expect(covered.stderr).not.toContain('warning');
  }, 120_000);
});
