import { createReadStream, createWriteStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { openStore } from '../open-store.ts';
import { countRows, exportData, importData } from '../store/transfer.ts';

// export writes data to stdout (or a file); everything for people (progress bar, summary) goes to
// stderr, and the bar only when stderr is a terminal.

type Env = Readonly<Record<string, string | undefined>>;

/** A progress bar on stderr when it is a terminal; otherwise nothing. */
function progress(label: string, total: number, unit: string): { add(n: number): void; stop(): void } {
  if (!process.stderr.isTTY || total === 0) return { add: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {duration_formatted}`,
    hideCursor: true,
  });
  bar.start(total, 0);
  return { add: (n) => bar.increment(n), stop: () => bar.stop() };
}

/**
 * Lines of a stream, pulled as they are consumed: the stream pauses while the consumer (a
 * database write) is busy, so memory holds one chunk, not the file.
 */
async function* linesOf(input: Readable): AsyncGenerator<string> {
  let rest = '';
  input.setEncoding('utf8');
  for await (const chunk of input as AsyncIterable<string>) {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) yield part.endsWith('\r') ? part.slice(0, -1) : part;
  }
  if (rest !== '') yield rest;
}

export function registerTransferCommands(program: Command, env: Env): void {
  program
    .command('export [file]')
    .description('write every tenant, credential (hashed), customer, event and live idempotency key as NDJSON (default: stdout)')
    .option('--with-keys', "include key material: tenants' JWT signing keys and the generated upstream secrets key")
    .action(async (file: string | undefined, opts: { withKeys?: boolean }) => {
      const withKeys = opts.withKeys === true;
      if (withKeys) {
        console.error(
          'custgate: warning: --with-keys writes JWT signing keys and the upstream secrets key into the export: anyone with the file can mint tokens and read upstream credentials. Keep it secret and delete it after the import.',
        );
      }
      const store = await openStore(env);
      const out = file ? createWriteStream(file) : process.stdout;
      try {
        const bar = progress('export', process.stderr.isTTY ? await countRows(store, withKeys) : 0, 'rows');
        let header = true;
        const counts = await exportData(
          store,
          (line) => {
            if (header) header = false;
            else bar.add(1);
            if (!out.write(`${line}\n`)) return new Promise<void>((resolve) => out.once('drain', () => resolve()));
          },
          { withKeys },
        );
        bar.stop();
        console.error(`custgate: exported ${JSON.stringify(counts)}`);
      } finally {
        await store.executor.close();
        if (file) await new Promise<void>((resolve) => out.end(() => resolve()));
      }
    });

  program
    .command('import [file]')
    .description('load an export into the (empty) store DATABASE_URL names, streaming; a failed import leaves it empty (default: stdin)')
    .action(async (file: string | undefined) => {
      const store = await openStore(env);
      // Opened after the store: the stream is paused until read, so nothing is lost meanwhile.
      const input = file ? createReadStream(file) : process.stdin;
      // The total is only known for a file: its size, against the bytes read so far (no bar on stdin).
      const total = file && process.stderr.isTTY ? statSync(file).size : 0;
      const bar = progress('import', total, 'bytes');
      let bytes = 0;
      try {
        const counts = await importData(
          store,
          linesOf(input),
          () => {
            const read = (input as { bytesRead?: number }).bytesRead ?? 0;
            if (total > 0) bar.add(read - bytes);
            bytes = read;
          },
          () =>
            console.error(
              'custgate: this export carries no key material (made without --with-keys): issue tenants new JWT signing keys (`custgate tenant rotate-signing-key`), and give the target the source CUSTGATE_SECRETS_KEY or re-add its upstreams with their credentials.',
            ),
        );
        bar.stop();
        console.error(`custgate: imported ${JSON.stringify(counts)}`);
      } finally {
        bar.stop();
        await store.executor.close();
      }
    });
}
