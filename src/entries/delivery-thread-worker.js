// @ts-check
// The delivery thread's entry (src/entries/delivery-thread.ts starts it): a worker thread does not
// inherit the loader its starter registered, so a clone, which runs the TypeScript sources, registers
// tsx here; an installed package runs the compiled file beside this one (bin/custgate.js decides
// the same way for the process).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = new URL('./delivery-thread-main.ts', import.meta.url);
if (existsSync(fileURLToPath(source))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import(new URL('./delivery-thread-main.js', import.meta.url).href);
}
