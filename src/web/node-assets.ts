import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isSwaggerFile, type StaticAssets } from './assets.ts';

/** Swagger UI's files from the installed swagger-ui-dist package, read once each and kept. */
export function swaggerAssetsFromNodeModules(): StaticAssets {
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Promise<Uint8Array>>();
  return {
    read(file) {
      if (!isSwaggerFile(file)) return Promise.resolve(undefined);
      let bytes = cache.get(file);
      if (!bytes) {
        bytes = readFile(join(dir, file));
        cache.set(file, bytes);
      }
      return bytes;
    },
  };
}
