import { translateCompleteSuite } from './support/translate-complete.ts';

// Translate from Wooshpay into every dialect: the target takes the body and the loss report is complete and exact.
translateCompleteSuite('wooshpay');
