import { translateCompleteSuite } from './support/translate-complete.ts';

// Translate from Connhex into every dialect: the target takes the body and the loss report is complete and exact.
translateCompleteSuite('connhex');
