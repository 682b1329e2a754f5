import { describe } from 'vitest';
import { registry } from '../dialects/index.ts';
import { pairsFrom, readEchoSuite } from './support/read-echo.ts';

// Read-echo is a no-op for customers written through each registered dialect, read and written
// back through every dialect: a dialect added to the registry is checked here with the rest.
describe.each(Object.keys(registry))('read-echo from %s', (origin) => {
  readEchoSuite(registry, pairsFrom(registry, origin));
});
