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

interface Shown {
  readonly id: string;
  readonly mode: string;
  readonly warnings?: string[];
}

/** A CLI command ending in `--json`: its JSON and what it said on stderr. */
async function json(args: readonly string[]) {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args, '--json'], { env: { ...process.env, ...env } });
  return { shown: JSON.parse(stdout) as Shown, stderr };
}

async function add(mode: string, token: string, into = tenant.tenant.id) {
  const args = ['upstream', 'add', into, '--dialect', 'connhex', '--base-url', `${baseUrl}-${mode}`, '--mode', mode];
  const { shown, stderr } = await json([...args, '--credentials', JSON.stringify({ token })]);
  return { added: shown, stderr };
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

describe('upstream mode and promote: the same warning when the new mode needs more than the token grants', () => {
  it('a mirror token (update and delete, no get) warns as it becomes the proxy, by mode or by promotion; back to mirror: no warning', async () => {
    // Its own tenant: the one above already has its proxy.
    const other = (JSON.parse(await runCli(['tenant', 'create', 'grants-cut-over', '--json'], env)) as typeof tenant).tenant.id;
    const { added } = await add('mirror', await mint('pay:customers:update,pay:customers:delete'), other);
    expect(added.warnings).toBeUndefined();
    const needsGet = 'lack pay:customers:get, which a proxy upstream needs';

    const toProxy = await json(['upstream', 'mode', other, added.id, 'proxy']);
    expect(toProxy.shown.mode).toBe('proxy');
    expect(toProxy.shown.warnings).toEqual([expect.stringContaining(needsGet)]);
    expect(toProxy.stderr).toContain(`custgate: warning: The connhex credentials ${needsGet}`);

    const back = await json(['upstream', 'mode', other, added.id, 'mirror']);
    expect(back.shown.warnings).toBeUndefined();
    expect(back.stderr).not.toContain('warning');

    // Never reconciled, so promotion needs --force; the grants warning comes beside that one.
    const promoted = await json(['upstream', 'promote', other, added.id, '--force']);
    expect(promoted.shown.mode).toBe('proxy');
    expect(promoted.shown.warnings).toEqual([expect.stringContaining(needsGet)]);
    expect(promoted.stderr).toContain(`custgate: warning: The connhex credentials ${needsGet}`);
  }, 120_000);
});
