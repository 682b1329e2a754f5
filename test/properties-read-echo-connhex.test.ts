import { readEchoSuite } from './support/read-echo.ts';

// Read-echo is a no-op for customers written through Connhex, read and written back through every dialect.
readEchoSuite('connhex');
