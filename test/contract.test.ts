import { registry } from '../dialects/index.ts';
import { contractSuite } from './support/contract-suite.ts';

// Every shipped dialect, the same checks (test/support/contract-suite.ts).
contractSuite(registry);
