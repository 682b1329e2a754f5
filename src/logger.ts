// What every layer logs through: the HTTP pipeline, the outbox's drains (which also run from cron
// and the CLI) and the entries. Node passes pino (src/entries/node.ts); elsewhere JSON lines on
// the console.

/** One finished request, as access logs and metrics see it. */
export interface AccessEntry {
  readonly time: string;
  readonly request_id: string;
  /** The authenticated tenant, or null when the request never authenticated. */
  readonly tenant: string | null;
  /** The dialect that served it, `gateway` for /gateway/v1 and /metrics, `none` when no route matched. */
  readonly dialect: string;
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly duration_ms: number;
}

export interface Logger {
  error(event: string, fields: Readonly<Record<string, unknown>>): void;
  /** One line per finished request (access.ts); absent: no access log. */
  access?(entry: AccessEntry): void;
}

// JSON lines on the console (Workers logs, wrangler tail). Only the event name and the error's
// name and message: never a stack, a body or a header.
export const consoleLogger: Logger = {
  error: (event, fields) => console.error(JSON.stringify({ level: 'error', time: new Date().toISOString(), event, ...fields })),
  access: (entry) => console.log(JSON.stringify({ level: 'info', event: 'request', ...entry })),
};
