import { pino } from 'pino';
import { type Env, loadEnv } from '../config.ts';
import type { AccessEntry, Logger } from '../logger.ts';

// The Node server's log (src/entries/node.ts), and its delivery thread's (src/entries/delivery-thread-main.ts).

/** The access and error log: JSON lines on stdout (pino), never a body or a credential. */
export function nodeLogger(env: Readonly<Record<string, string | undefined>>): Logger & { flush(): void } {
  return parsedNodeLogger(loadEnv(env));
}

/** The same from the environment as loadEnv parsed it, where the caller has (startNode, the delivery thread). */
export function parsedNodeLogger(env: Pick<Env, 'CUSTGATE_LOG_LEVEL'>): Logger & { flush(): void } {
  // One write per 4 KB of lines (or every 100 ms) instead of one per request: the write was the
  // larger part of the access log's cost per request. pino flushes what is left when the
  // process exits (https://github.com/pinojs/sonic-boom#api, minLength and periodicFlush).
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });
  const log = pino(
    {
      level: env.CUSTGATE_LOG_LEVEL,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    error: (event, fields) => log.error({ event, ...fields }),
    // The access line is the one written for every request: composed here, byte for byte the line
    // pino writes for the same fields (level label, ISO time, then the entry's keys in order), into
    // the same destination, so lines stay in order with pino's. pino's generic path (a spread, a
    // walk over the keys, its own timestamp) cost several times the line's own work.
    access: (entry) => {
      if (log.isLevelEnabled('info')) destination.write(accessLine(entry));
    },
    flush: () => log.flush(),
  };
}

/** The access entry as pino's JSON line: every string through JSON.stringify, so nothing escapes it. */
export function accessLine(entry: AccessEntry): string {
  const tenant = entry.tenant === null ? 'null' : JSON.stringify(entry.tenant);
  return `{"level":"info","time":${JSON.stringify(entry.time)},"event":"request","request_id":${JSON.stringify(entry.request_id)},"tenant":${tenant},"dialect":${JSON.stringify(entry.dialect)},"method":${JSON.stringify(entry.method)},"route":${JSON.stringify(entry.route)},"status":${JSON.stringify(entry.status)},"duration_ms":${JSON.stringify(entry.duration_ms)}}\n`;
}
