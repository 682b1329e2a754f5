import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { quietWranglerEnv, wranglerBin } from '../../src/cli/d1-tools.ts';
import { freePort } from '../../src/entries/registered.ts';

// Running the pinned wrangler from Node tests: offline (no metrics, no cf fetch, no update check),
// on free ports, bounded in time, and always stopped.

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface Finished {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a command to completion (killed after timeoutMs) and returns its combined output. */
export function runNode(
  args: readonly string[],
  options: { readonly timeoutMs: number; readonly env?: NodeJS.ProcessEnv },
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: options.env ?? quietWranglerEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export const wrangler = (args: readonly string[], timeoutMs = 120_000) => runNode([wranglerBin(), ...args], { timeoutMs });

export { freePort };

/** A local D1 in `state`, migrated, with a tenant written by `custgate tenant create --d1`: its `--json` output. */
export async function localD1Tenant(state: string, name: string): Promise<string> {
  const migrated = await wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', state]);
  if (migrated.code !== 0) throw new Error(`wrangler d1 migrations apply failed:\n${migrated.output}`);
  const created = await runNode(
    ['bin/custgate.js', 'tenant', 'create', name, '--json', '--d1', 'custgate', '--local', '--persist-to', state],
    {
      timeoutMs: 120_000,
    },
  );
  if (created.code !== 0) throw new Error(`custgate tenant create --d1 failed:\n${created.output}`);
  return created.output.trim().split('\n').at(-1)!;
}

export interface DevServer {
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

/** `wrangler dev` on free ports with the given local state folder; resolves once it is ready. */
export async function startWranglerDev(persistTo: string, timeoutMs = 120_000): Promise<DevServer> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const args = [
    wranglerBin(),
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspectorPort),
    '--persist-to',
    persistTo,
    '--var',
    'NODE_ENV:development',
    '--show-interactive-dev-session=false',
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: quietWranglerEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group, so stopping it also stops the workerd it starts.
    detached: true,
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const killer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 10_000);
      await exited;
      clearTimeout(killer);
    }
  };
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`wrangler dev not ready after ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      stop().finally(() => reject(new Error(`${error.message}\n${output}`)));
    };
    const onData = (c: Buffer) => {
      output += c.toString();
      if (output.includes(`Ready on ${url}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => fail(new Error(`wrangler dev exited (${code}) before it was ready`)));
  });
  return { url, output: () => output, stop };
}
