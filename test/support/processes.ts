import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../src/entries/registered.ts';

// Real gateway processes (`node bin/custgate.js …`) for tests that cross process boundaries.

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The `custgate` these helpers run: the compiled one test/global-setup.ts built from the current
 * sources for this run, or bin/custgate.js through tsx (CUSTGATE_TEST_CLI=source, or a run
 * without that setup).
 */
export const cli = process.env.CUSTGATE_TEST_CLI_BIN ?? fileURLToPath(new URL('../../bin/custgate.js', import.meta.url));

export { freePort };

export interface GatewayProcess {
  readonly base: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Kills the gateway outright (kill -9: nothing released, as a crash leaves it) and waits for it to exit. */
export async function killGateway(gateway: GatewayProcess): Promise<void> {
  if (gateway.child.exitCode !== null || gateway.child.signalCode !== null) return;
  const exited = new Promise((resolve) => gateway.child.once('exit', resolve));
  gateway.child.kill('SIGKILL');
  await exited;
}

/**
 * Starts `custgate serve` and resolves once `listening` has been printed `listeners` times (one
 * per worker with --workers).
 */
export async function startGatewayProcess(
  env: Record<string, string>,
  args: readonly string[] = [],
  listeners = 1,
  timeoutMs = 90_000,
): Promise<GatewayProcess> {
  return onAFreePort((port) => spawnServe(env, ['--no-demo', '-H', '127.0.0.1', '-p', String(port), ...args], port, listeners, timeoutMs));
}

/**
 * freePort's port is free when it answers, not when the server binds it: on a busy CI machine
 * another test's process can take it in between, and the server then refuses to start. That is
 * the harness's race, not the server's fault, so the start is tried again on another port.
 */
async function onAFreePort(start: (port: number) => Promise<GatewayProcess>): Promise<GatewayProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error && error.message.includes('is already in use'))) throw error;
    }
  }
}

/**
 * `custgate serve` as the Quick start's `npm start` runs it (package.json): no flags, no setting
 * but `env` (the port as PORT), so a demo tenant is made on an empty database.
 */
export async function startAsNpmStart(env: Record<string, string>): Promise<GatewayProcess> {
  return onAFreePort((port) => spawnServe({ ...env, PORT: String(port) }, [], port, 1, 90_000));
}

async function spawnServe(
  env: Record<string, string>,
  args: readonly string[],
  port: number,
  listeners: number,
  timeoutMs: number,
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [cli, 'serve', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`gateway did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      if ((out.match(/listening on/g) ?? []).length >= listeners) finish();
    };
    const exit = (code: number | null) => finish(new Error(`gateway exited (${code}) before listening:\n${out}`));
    function finish(error?: Error) {
      clearTimeout(timer);
      child.stderr?.off('data', check);
      child.off('exit', exit);
      if (error) stop().finally(() => reject(error));
      else resolve();
    }
    // The banner is on stderr (stdout carries only the JSON log lines).
    child.stderr?.on('data', check);
    child.once('exit', exit);
  });
  return { base: `http://127.0.0.1:${port}`, child, output: () => out, stop };
}

/** Runs a CLI command that must fail; resolves to its exit code and output (undefined if it succeeded). */
export function failingCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string } | undefined> {
  return promisify(execFile)(process.execPath, [cli, ...args], { env: { ...process.env, ...env } }).then(
    () => undefined,
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

export interface CliRun {
  readonly child: ChildProcess;
  /** Its exit status (null when killed by a signal) and all it printed. */
  readonly exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts `custgate <args>` and collects what it prints, for a test that may kill it before it ends. */
export function spawnCli(args: readonly string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, exit };
}

/** Runs the CLI to completion; resolves to its stdout. */
export async function runCli(args: readonly string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [cli, ...args], { env: { ...process.env, ...env } });
  return stdout;
}

/** `custgate upstream add … --json`: the upstream it made. */
export async function addUpstreamByCli(
  env: Record<string, string>,
  tenantId: string,
  upstream: { readonly dialect: string; readonly baseUrl: string; readonly mode: string; readonly credentials: unknown },
): Promise<{ id: string }> {
  const args = ['upstream', 'add', tenantId, '--dialect', upstream.dialect, '--base-url', upstream.baseUrl, '--mode', upstream.mode];
  return JSON.parse(await runCli([...args, '--credentials', JSON.stringify(upstream.credentials), '--json'], env)) as { id: string };
}
