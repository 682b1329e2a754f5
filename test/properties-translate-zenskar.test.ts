import { translateCompleteSuite } from './support/translate-complete.ts';

// Translate from Zenskar into every dialect: the target takes the body and the loss report is complete and exact.
translateCompleteSuite('zenskar');
