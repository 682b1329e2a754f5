import { readEchoSuite } from './support/read-echo.ts';

// Read-echo is a no-op for customers written through Wooshpay, read and written back through every dialect.
readEchoSuite('wooshpay');
