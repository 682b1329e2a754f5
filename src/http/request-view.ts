import type { RequestView } from '../contract/dialect.ts';

// One per request on every dialect route: a class keeps `header` on the prototype, where an
// object literal made a new closure (and, under tsx, a `__name` call defining its name) each time.
class View implements RequestView {
  readonly method: string;
  readonly #headers: Headers;

  constructor(request: Request) {
    this.method = request.method;
    this.#headers = request.headers;
  }

  header(name: string): string | undefined {
    return this.#headers.get(name) ?? undefined;
  }
}

export function requestView(request: Request): RequestView {
  return new View(request);
}
