import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The id map `custgate upstream reconcile --ids` prints (src/cli/book.ts): CSV, spooled to disk.

/**
 * A CSV field (RFC 4180): quoted, its quotes doubled, when it holds a comma or a quote. A
 * provider's customer id may (a link refuses control characters only): written bare, `cus_1,x`
 * read as two columns and shifted the map's pairs.
 */
export const csvField = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/**
 * Lines spooled to a temporary file (a slow disk, not memory, holds a large book), then printed to
 * stdout whole by `print`, or dropped by `discard`: a script reading `reconcile --ids` gets the
 * whole id map or nothing, never the part found before a failure.
 */
export async function csvSpool(header: string) {
  const dir = await mkdtemp(join(tmpdir(), 'custgate-ids-'));
  const path = join(dir, 'ids.csv');
  const file = createWriteStream(path);
  let failed: unknown;
  file.on('error', (error) => {
    failed = error;
    file.emit('drain');
  });
  const write = async (line: string) => {
    if (failed === undefined && !file.write(`${line}\n`)) await new Promise<void>((resolve) => file.once('drain', () => resolve()));
    if (failed !== undefined) throw failed;
  };
  const close = () =>
    new Promise<void>((resolve) => {
      if (failed === undefined) file.end(() => resolve());
      else resolve(void file.destroy());
    });
  await write(header);
  return {
    write,
    async print() {
      await close();
      await new Promise<void>((resolve, reject) => {
        const read = createReadStream(path);
        read.once('error', reject).once('end', () => resolve());
        // stdout stays open: a pipe's end would close it for the lines the caller prints after.
        read.pipe(process.stdout, { end: false });
      });
      await rm(dir, { recursive: true, force: true });
    },
    async discard() {
      await close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
