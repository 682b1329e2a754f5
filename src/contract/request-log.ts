// One entry of a tenant's request log as GET /gateway/v1/requests answers it: written by the
// server (src/http/request-log.ts), read by `custgate logs tail` (src/cli/logs.ts).

export interface LoggedRequest {
  readonly time: string;
  readonly request_id: string | null;
  readonly method: string;
  readonly path: string;
  readonly dialect: string;
  readonly status: number;
  readonly duration_ms: number;
  readonly request_body: unknown;
  readonly response_body: unknown;
}
