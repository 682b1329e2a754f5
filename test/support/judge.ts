import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DialectName } from '../../dialects/index.ts';
import { freePort } from './processes.ts';
import { judgeDocument } from './seed-openapi.ts';

// The judge: Stoplight Prism (`prism proxy <document> <upstream>`) between custgate's client half
// and the provider, checking every request, and every answer, against the provider's own document
// (test/fixtures/seed-openapi). Prism runs without --errors: it forwards what it checks and reports
// what breaks the document in its `sl-violations` header, so one violation does not hide the
// next (with --errors, an answer that breaks the document becomes a 500 and stops the scenario).
// A recorder in front of Prism keeps every reported violation with the request that caused it.

const prismCli = fileURLToPath(new URL('../../node_modules/@stoplight/prism-cli/dist/index.js', import.meta.url));

export interface Violation {
  readonly dialect: DialectName;
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: string;
  /** Where Prism found it: in the request or in the provider's answer. */
  readonly side: 'request' | 'response';
  readonly location: string;
  readonly message: string;
  readonly status: number;
}

export interface Judge {
  /** The base URL an upstream of this dialect is given: the recorder in front of its Prism. */
  url(dialect: DialectName): string;
  readonly violations: Violation[];
  /** Requests seen per dialect. */
  readonly seen: Record<string, number>;
  close(): Promise<void>;
}

async function startPrism(document: string, upstream: string): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [prismCli, 'proxy', document, upstream, '-h', '127.0.0.1', '-p', String(port)], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prism did not start:\n${out}`)), 240_000);
    const check = () => {
      if (out.includes('Prism is listening')) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`prism exited (${code}):\n${out}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, child, output: () => out };
}

type PrismViolation = { location?: string[]; message?: string };

/** A recorder in front of one Prism: forwards byte for byte, keeps what `sl-violations` says. */
async function recorder(
  dialect: DialectName,
  target: string,
  judge: Pick<Judge, 'violations' | 'seen'>,
): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'host'),
    );
    judge.seen[dialect] = (judge.seen[dialect] ?? 0) + 1;
    try {
      const answer = await fetch(`${target}${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length > 0 ? { body } : {}),
      });
      const reported = answer.headers.get('sl-violations');
      if (reported) {
        const list = (reported.startsWith('[') ? JSON.parse(reported) : [{ message: reported }]) as PrismViolation[];
        for (const found of list) {
          const location = (found.location ?? []).join('.');
          judge.violations.push({
            dialect,
            method: req.method ?? 'GET',
            path: req.url ?? '/',
            contentType: req.headers['content-type'],
            body: body.toString('utf8').slice(0, 500),
            side: location.startsWith('response') ? 'response' : 'request',
            location,
            message: found.message ?? '',
            status: answer.status,
          });
        }
      }
      const out: Record<string, string> = {};
      answer.headers.forEach((value, name) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)) out[name] = value;
      });
      res.writeHead(answer.status, out);
      res.end(Buffer.from(await answer.arrayBuffer()));
    } catch {
      res.socket?.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server };
}

/** One Prism per provider document (reused by every scenario), each pointed at `upstreamOf(dialect)`. */
export async function startJudge(dialects: readonly DialectName[], upstreamOf: (dialect: DialectName) => string): Promise<Judge> {
  const dir = mkdtempSync(join(tmpdir(), 'custgate-judge-'));
  const judge = { violations: [] as Violation[], seen: {} as Record<string, number> };
  const prisms: ChildProcess[] = [];
  const servers: Server[] = [];
  const urls = new Map<DialectName, string>();
  try {
    await Promise.all(
      dialects.map(async (dialect) => {
        const file = join(dir, `${dialect}.json`);
        writeFileSync(file, JSON.stringify(judgeDocument(dialect)));
        const prism = await startPrism(file, upstreamOf(dialect));
        prisms.push(prism.child);
        const rec = await recorder(dialect, prism.url, judge);
        servers.push(rec.server);
        urls.set(dialect, rec.url);
      }),
    );
  } catch (e) {
    for (const child of prisms) child.kill('SIGKILL');
    throw e;
  }
  return {
    ...judge,
    url: (dialect) => {
      const url = urls.get(dialect);
      if (!url) throw new Error(`no judge for ${dialect}`);
      return url;
    },
    async close() {
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
      await Promise.all(
        prisms.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
