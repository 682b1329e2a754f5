import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testEnv } from './support/gateway.ts';
import { cli, freePort, runCli } from './support/processes.ts';
import { testDatabaseEnv } from './support/store.ts';

// What a newcomer trips on at the command line, through the real CLI and a real `serve` process.

describe('serve: JSON logs on stdout, the human text on stderr', () => {
  it('prints the banner, the demo credentials and the curl lines on stderr; stdout carries only log lines, no secret', async () => {
    const port = await freePort();
    const env = { PATH: process.env.PATH ?? '', ...testEnv, ...testDatabaseEnv() };
    const child = spawn(process.execPath, [cli, 'serve', '-H', '127.0.0.1', '-p', String(port)], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    try {
      await expect.poll(() => err, { timeout: 60_000, interval: 100 }).toContain('curl -s');
      expect(err).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
      expect(err).toContain('Created the demo tenant "demo"');
      const key = /"secret_key": "(sk_test_[A-Za-z0-9]+)"/.exec(err)?.[1];
      expect(key).toBeDefined();
      const res = await fetch(`http://127.0.0.1:${port}/v1/customers/cus_missing`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(404);
      await expect.poll(() => out, { timeout: 10_000, interval: 100 }).toContain('"event":"request"');
      const lines = out.split('\n').filter((line) => line !== '');
      for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
      expect(out).not.toContain('sk_test_');
      expect(out).not.toContain('listening on');
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    expect(err).toMatch(/drained in \d+ ms; stopped/);
  }, 90_000);
});

describe('token mint --ttl', () => {
  it('refuses a lifetime of 0: such a token is expired when issued', async () => {
    const env = { ...testEnv, ...testDatabaseEnv() };
    await runCli(['tenant', 'create', 'acme', '--json'], env);
    const failed = await promisify(execFile)(process.execPath, [cli, 'token', 'mint', 'acme', '--dialect', 'connhex', '--ttl', '0'], {
      env: { ...process.env, ...env },
    }).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).not.toBe(0);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).toContain('at least 1 second');
    const minted = JSON.parse(await runCli(['token', 'mint', 'acme', '--dialect', 'connhex', '--ttl', '1m', '--json'], env)) as {
      token: string;
    };
    expect(minted.token).toMatch(/^ey/);
  }, 60_000);
});
