import { describe } from 'vitest';
import { registry } from '../dialects/index.ts';
import { pairsFrom } from './support/read-echo.ts';
import { translateCompleteSuite } from './support/translate-complete.ts';

// Translate from each registered dialect into every dialect: the target takes the body and the
// loss report is complete and exact. A dialect added to the registry is checked here with the rest.
describe.each(Object.keys(registry))('translate from %s', (source) => {
  translateCompleteSuite(registry, pairsFrom(registry, source));
});
