import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/entries/node.ts';
import { until } from './support/edge-receiver.ts';
import { testEnv } from './support/gateway.ts';
import { failingCli, type GatewayProcess, startGatewayProcess } from './support/processes.ts';
import { testBackend, testDatabaseEnv } from './support/store.ts';

// A rolling upgrade: a newer release's process migrates the database while this release's
// processes run. One of them that starts again (restarted, or a --workers worker replaced) meets a
// migration it does not know. Before, it said "corrupted migrations: previously executed migration
// … is missing", and a --workers primary replaced such a worker at once, forever, each start taking
// a core from the workers still serving.

// What a newer release's migration looks like to this one: a row in kysely's log it was not given.
const newer = '9999_from_a_newer_release';

async function addNewerMigration(env: Record<string, string>): Promise<void> {
  const store = await openStore(env);
  try {
    await store.executor.run(
      CompiledQuery.raw(`insert into kysely_migration (name, timestamp) values ('${newer}', '2099-01-01T00:00:00.000Z')`),
    );
  } finally {
    await store.executor.close();
  }
}

/** The newer release rolled back by hand: without opening a store, which would refuse it. */
async function removeNewerMigration(env: Record<string, string>): Promise<void> {
  const client = new pg.Client({ connectionString: env.DATABASE_URL, options: `-c search_path=${env.CUSTGATE_PG_SCHEMA}` });
  await client.connect();
  try {
    await client.query('delete from kysely_migration where name = $1', [newer]);
  } finally {
    await client.end();
  }
}

describe('a database a newer release migrated', () => {
  it('is refused at start by serve and every command, saying so and naming the migration; before, "corrupted migrations"', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    await addNewerMigration(env);
    for (const args of [
      ['serve', '--no-demo', '-H', '127.0.0.1', '-p', '0'],
      ['tenant', 'list'],
    ]) {
      const failed = await failingCli(args, env);
      expect(failed?.code, args.join(' ')).toBe(1);
      expect(failed?.stderr).toContain(`custgate: the database was migrated by a newer release of custgate: it has migration ${newer},`);
      expect(failed?.stderr).toContain('Run the newer release on it');
      expect(failed?.stderr).not.toContain('corrupted');
    }
  }, 120_000);
});

describe.skipIf(testBackend() !== 'postgres')('serve --workers when a worker cannot start', () => {
  let gateway: GatewayProcess | undefined;
  afterAll(async () => {
    await gateway?.stop();
  });

  it('replaces it after 1 s, 2 s, 4 s… while the other serves, and serves with it once it can start; before, at once without end', async () => {
    const env = { ...testEnv, ...testDatabaseEnv(), CUSTGATE_PG_POOL_SIZE: '2' };
    gateway = await startGatewayProcess(env, ['--workers', '2'], 2);
    const running = gateway;
    await addNewerMigration(env);
    const pid = Number(/custgate worker (\d+) listening on/.exec(running.output())?.[1]);
    process.kill(pid, 'SIGKILL');

    const exits = () => running.output().match(/custgate: worker \d+ exited .*/g) ?? [];
    await until(() => exits().length >= 3, 60_000);
    expect(exits().slice(0, 3)).toEqual([
      `custgate: worker ${pid} exited (SIGKILL); starting another`,
      expect.stringMatching(/^custgate: worker \d+ exited \(1\) before it listened; starting another in 1 s$/),
      expect.stringMatching(/^custgate: worker \d+ exited \(1\) before it listened; starting another in 2 s$/),
    ]);
    expect(running.output()).toContain(`it has migration ${newer}`);
    // The worker that was not killed serves throughout.
    expect((await fetch(`${running.base}/gateway/v1/ready`)).status).toBe(200);

    // The newer release rolled back: the next start (after 4 s) listens, and nothing else is started.
    await removeNewerMigration(env);
    const listening = () => (running.output().match(/listening on/g) ?? []).length;
    await until(() => listening() >= 3, 60_000);
    expect(listening()).toBe(3);
    expect(exits()).toHaveLength(3);
    for (let i = 0; i < 4; i++) expect((await fetch(`${running.base}/gateway/v1/ready`)).status).toBe(200);
  }, 180_000);
});
