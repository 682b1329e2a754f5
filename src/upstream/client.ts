import type { AnyDialect, ClientRequest, IssuedCredentials } from '../contract/dialect.ts';
import { GatewayError } from '../contract/errors.ts';
import { uuidPattern } from '../core/index.ts';
import type { CustomerPatch } from '../../schemas/index.ts';
import type { LinkRow, UpstreamMode, UpstreamRepository, UpstreamRow } from '../store/index.ts';
import { answerProblem, flaggedCustomers, screenList } from './answer-checks.ts';
import { type Fetch, send, type Transport, transportOf } from './http.ts';
import { viaAfter } from './loop.ts';
import { type ListedPage, namedSafely } from './listed-page.ts';
import { checkRemoteId } from './remote-ids.ts';
import { reportUnreadable } from './unreadable-credentials.ts';
import { type Keyring, MissingSecretsKey, openCredentials, sealCredentials } from './secrets.ts';
import { dialectOf, type Pushed, requestFor, type Upstream, type UpstreamWrite } from './write-request.ts';

// Callers import the request building through this module, as before it had a file of its own.
export * from './write-request.ts';

// Delivering canonical writes to an upstream provider and reading customers back, through the
// upstream dialect's client half. Used by proxy mode (proxy.ts) and by mirror/shadow delivery.

export interface UpstreamClientOptions {
  /** The dialects an upstream row may name (the registry the entry hands down). */
  readonly dialects: readonly AnyDialect[];
  readonly keyring: Keyring;
  readonly timeoutMs: number;
  /** Largest upstream answer read, in decoded bytes (http.ts; default 1 MiB). */
  readonly maxAnswerBytes?: number | undefined;
  readonly fetch?: Fetch;
  /** How requests go out (http.ts); default: over `fetch` above, else the runtime's fetch. */
  readonly transport?: Transport | undefined;
  /** Where credentials sealed in the old form are re-sealed with the full binding on first use. */
  readonly upstreams?: Pick<UpstreamRepository, 'reseal'>;
  /** This gateway's id, named in `Via` on every upstream request (loop.ts). */
  readonly gatewayId?: () => Promise<string>;
  /** The Via every request of this client carries onwards, unless a call names its own (a mirror delivery's write). */
  readonly via?: string;
  /** Where an unreadable upstream is reported (once per row and process); default: JSON on stderr. */
  readonly logger?: { error(event: string, fields: Readonly<Record<string, unknown>>): void };
}

export class UpstreamClient {
  readonly #options: UpstreamClientOptions;
  readonly #transport: Transport;

  constructor(options: UpstreamClientOptions) {
    this.#options = options;
    this.#transport = transportOf(options);
  }

  /** How long one request to an upstream may take. */
  get timeoutMs(): number {
    return this.#options.timeoutMs;
  }

  /** The dialect a stored row or a request names, among this gateway's. */
  dialectOf(name: string): AnyDialect {
    return dialectOf(this.#options.dialects, name);
  }

  /** Decrypts a stored upstream's credentials. */
  async open(row: UpstreamRow): Promise<Upstream> {
    let credentials: IssuedCredentials;
    let legacy: boolean;
    try {
      const opened = await openCredentials(this.#options.keyring, row);
      legacy = opened.legacy;
      credentials = JSON.parse(opened.plaintext) as IssuedCredentials;
    } catch (error) {
      // No key at all (production without CUSTGATE_SECRETS_KEY, which a Worker cannot refuse to
      // start over) is the operator's variable to set, answered 503 naming it (http/runtime.ts):
      // not credentials to enter again, which would be refused for the same reason.
      if (error instanceof MissingSecretsKey) throw error;
      throw reportUnreadable(row, this.#options.logger);
    }
    if (legacy && this.#options.upstreams) {
      // Best effort: a failure leaves the old form, re-sealed on a later use.
      const resealed = await sealCredentials(this.#options.keyring, row, JSON.stringify(credentials));
      await this.#options.upstreams.reseal(row.tenant_id, row.id, row.credentials, resealed).catch(() => undefined);
    }
    return {
      id: row.id,
      tenantId: row.tenant_id,
      dialect: this.dialectOf(row.dialect),
      baseUrl: row.base_url,
      mode: row.mode as UpstreamMode,
      credentials,
      encoding: row.encoding === 'form' ? 'form' : 'json',
    };
  }

  /**
   * Delivers one canonical write: an update of the linked customer, or a create (the whole
   * customer after the write) where there is no link yet. Resolves to the upstream's view; throws
   * the upstream's refusal or failure as a canonical GatewayError. An update answered with another
   * customer than the link's is a failure (#call): not delivered, retried as any provider failure.
   */
  async push(upstream: Upstream, link: LinkRow | undefined, write: UpstreamWrite): Promise<Pushed> {
    return this.send(upstream, requestFor(upstream, link, write), link === undefined, undefined, link?.remote_id);
  }

  /**
   * Sends a request built by requestFor (the proxy checks it first); `create` when it makes a
   * customer. `linked`: the provider's id of the customer an update is for, which its answer must
   * show (see #call).
   */
  async send(upstream: Upstream, request: ClientRequest, create = false, via?: string, linked?: string): Promise<Pushed> {
    if (!create) return this.#call(upstream, request, via, linked === undefined ? undefined : { id: linked });
    return this.#call(upstream, request, via).catch((error: unknown) => {
      // There is no customer a create could miss: a 404 is the provider's (or its address's) fault.
      if (error instanceof GatewayError && error.code === 'not_found') {
        throw new GatewayError('bad_gateway', `The upstream provider answered HTTP 404 to a create: ${error.message}`);
      }
      throw error;
    });
  }

  /**
   * Reads a customer from the upstream by any reference its path takes: its id, an alias, an
   * external id. The answer must show that reference as its id, alias or external id: another
   * customer's answer (a router or cache mixing answers up) is the provider's fault (#call).
   */
  async fetchCustomer(upstream: Upstream, reference: string, via?: string): Promise<Pushed> {
    const request = upstream.dialect.client.retrieve(reference, upstream.credentials);
    return this.#call(upstream, request, via, { reference });
  }

  /** Reads a linked customer by its id there: an answer showing another customer is the provider's fault (#call). */
  async fetchLinked(upstream: Upstream, link: Pick<LinkRow, 'remote_id'>): Promise<Pushed> {
    return this.#call(upstream, upstream.dialect.client.retrieve(link.remote_id, upstream.credentials), undefined, { id: link.remote_id });
  }

  /**
   * Deletes (or archives) a customer at the upstream by its id there. One it no longer has (a 404)
   * counts as deleted: a retried delete, or one made there directly, leaves the same end state.
   * An upstream whose API has no delete refuses it: the customer must not vanish here only.
   */
  async remove(upstream: Upstream, upstreamId: string, via?: string): Promise<void> {
    const client = upstream.dialect.client;
    if (!client.delete) {
      const message = `The upstream provider (${upstream.dialect.name}) documents no way to delete a customer; nothing was deleted.`;
      throw new GatewayError('invalid_request', message);
    }
    const response = await this.#exchange(upstream, client.delete(upstreamId, upstream.credentials), via);
    if (response.status === 404) return;
    if (response.status < 200 || response.status > 299) throw client.parseError(response);
  }

  /**
   * One page of the upstream's customer list (`next`: the token the previous page named). A
   * throttled answer (429, 503) carries its Retry-After as `retryAfterSeconds`; a page that is no
   * page, or holds a customer id this gateway cannot store, is an error as a whole. A customer
   * holding what no answer may (a NUL character) is one too, unless `screen`: then the page is read
   * without it and it is named in `refused` (an import leaves it out and goes on).
   */
  async listPage(upstream: Upstream, next: string | undefined, screen = false): Promise<ListedPage> {
    const client = upstream.dialect.client;
    if (!client.list || !client.parseList) {
      throw new GatewayError('bad_gateway', `The ${upstream.dialect.name} client half cannot list customers.`);
    }
    const raw = await this.#answer(upstream, client.list(next, upstream.credentials), undefined, false);
    const screened = screenList(raw);
    if ('problem' in screened) throw answerRefused(screened.problem);
    if (screened.flagged && !screen) throw answerRefused([...screened.flagged.problems.values()][0]!);
    const page = client.parseList(screened.body);
    if (page instanceof GatewayError) throw page;
    if (!screen) for (const customer of page.customers) checkRemoteId(customer.id);
    const refused = flaggedCustomers(raw, screened, page);
    if (!refused) throw new GatewayError('bad_gateway', 'The upstream provider answered with a customer id this gateway cannot store.');
    return screen ? namedSafely(page, refused) : { ...page, refused };
  }

  /** `via`: the Via the request being carried arrived with; this gateway's entry goes after it (loop.ts). */
  async #exchange(upstream: Upstream, request: ClientRequest, via?: string) {
    const gatewayId = this.#options.gatewayId;
    return send(upstream.baseUrl, request, {
      timeoutMs: this.#options.timeoutMs,
      maxAnswerBytes: this.#options.maxAnswerBytes,
      ...(gatewayId ? { headers: { via: viaAfter(via ?? this.#options.via, await gatewayId()) } } : {}),
      transport: this.#transport,
    });
  }

  /**
   * `expected`: the customer asked for, by its id there or by a reference the answer shows. The
   * answer of a provider (or a cache or router before it) showing another customer says nothing of
   * this one's state, nor that the write reached it: taken in, it would become this customer's
   * copy (or another local customer's link), and the client told so.
   */
  async #call(upstream: Upstream, request: ClientRequest, via?: string, expected?: Expected): Promise<Pushed> {
    const parsed = upstream.dialect.client.parse(await this.#answer(upstream, request, via));
    if (parsed instanceof GatewayError) throw parsed;
    checkRemoteId(parsed.id);
    const asked = expected === undefined ? undefined : 'id' in expected ? expected.id : expected.reference;
    if (expected !== undefined && !('id' in expected ? parsed.id === expected.id : showsReference(parsed, expected.reference))) {
      throw new GatewayError(
        'bad_gateway',
        `The upstream provider answered with customer ${JSON.stringify(parsed.id)} to a request for customer ${JSON.stringify(asked)}.`,
      );
    }
    return { upstreamId: parsed.id, patch: parsed.patch };
  }

  /** A successful answer's body, checked as a client's body is; anything else thrown as the provider's error. */
  async #answer(upstream: Upstream, request: ClientRequest, via?: string, check = true): Promise<unknown> {
    const client = upstream.dialect.client;
    const response = await this.#exchange(upstream, request, via);
    if (response.status < 200 || response.status > 299) {
      const error = client.parseError(response);
      if ((response.status === 429 || response.status === 503) && response.retryAfterSeconds !== undefined) {
        throw new GatewayError(error.code, error.message, { ...error.details, retryAfterSeconds: response.retryAfterSeconds });
      }
      throw error;
    }
    const problem = check ? answerProblem(response.body, 0) : undefined;
    if (problem) throw answerRefused(problem);
    return response.body;
  }
}

/** The customer a request names: by its id at the provider, or by any reference its path takes. */
type Expected = { readonly id: string } | { readonly reference: string };

/**
 * Whether an answer shows the reference it was asked by: as its id, its alias or its external id.
 * A UUID compares without case (a path takes either; the answer shows its own spelling).
 */
function showsReference(parsed: { readonly id: string; readonly patch: CustomerPatch }, reference: string): boolean {
  const same = (value: string | null | undefined) =>
    value === reference || (value != null && uuidPattern.test(reference) && value.toLowerCase() === reference.toLowerCase());
  const setTo = (op: CustomerPatch['alias']) => (op?.op === 'set' ? op.value : undefined);
  return same(parsed.id) || same(setTo(parsed.patch.alias)) || same(setTo(parsed.patch.external_id));
}

const answerRefused = (problem: string) => new GatewayError('bad_gateway', `The upstream provider answered with ${problem}.`);
