import type { RequestView } from '../contract/dialect.ts';

export function requestView(request: Request): RequestView {
  return {
    method: request.method,
    header: (name) => request.headers.get(name) ?? undefined,
  };
}
