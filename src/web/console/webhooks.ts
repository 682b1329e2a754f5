/// <reference lib="dom" />
// The console's webhooks card: the tenant's endpoints (GET /gateway/v1/webhook_endpoints) and, for
// the one picked, its delivery log newest first (GET …/{id}/attempts), with a resend per event
// (POST /gateway/v1/events/{id}/resend), as docs/webhooks.md describes them. Text only, never HTML.

export interface ConsoleKit {
  call(path: string, init?: RequestInit): Promise<{ status: number; body: unknown }>;
  el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K];
  $<T extends HTMLElement = HTMLElement>(id: string): T;
  state(id: string, text: string, error?: boolean): void;
  messageOf(body: unknown): string;
}

interface Endpoint {
  readonly id: string;
  readonly url: string;
  readonly format: string;
  readonly dialect: string;
  readonly enabled_events: string[];
  readonly status: string;
  readonly failures: number;
  /** The mode of the key that made it: it gets that mode's events only (docs/webhooks.md). */
  readonly livemode: boolean;
  /** Its receiver is down: its deliveries wait unsent until `held_until`, after `held_rounds` failed rounds. */
  readonly held: boolean;
  readonly held_until: string | null;
  readonly held_rounds: number;
}

/** The hold as the card shows it: until when, after how many failed rounds; "—" when not held. */
const holdOf = (e: Endpoint): string =>
  e.held ? `until ${e.held_until} (${e.held_rounds} failed round${e.held_rounds === 1 ? '' : 's'})` : '—';
interface Attempt {
  readonly event: string;
  readonly attempt: number;
  readonly status: number | null;
  readonly error: string | null;
  readonly duration_ms: number;
  readonly created_at: string;
}

function button(kit: ConsoleKit, text: string, onClick: () => Promise<void>, stateId: string): HTMLButtonElement {
  const b = kit.el('button', text);
  b.type = 'button';
  b.addEventListener('click', () => {
    onClick().catch((e: unknown) => kit.state(stateId, String(e), true));
  });
  return b;
}

async function showAttempts(kit: ConsoleKit, endpoint: Endpoint): Promise<void> {
  kit.$('attempts').hidden = false;
  kit.state('attempts-state', `Loading the attempts to ${endpoint.url}…`);
  const { status, body } = await kit.call(`/gateway/v1/webhook_endpoints/${encodeURIComponent(endpoint.id)}/attempts`);
  const rows = kit.$('attempt-rows');
  rows.replaceChildren();
  if (status !== 200) {
    kit.state('attempts-state', `${status}: ${kit.messageOf(body)}`, true);
    return;
  }
  const attempts = (body as { data: Attempt[] }).data;
  for (const a of attempts) {
    const row = kit.el('tr', undefined, a.error === null ? 'ok' : 'failed');
    row.dataset.event = a.event;
    const cells = [
      a.created_at,
      a.event,
      String(a.attempt),
      a.status === null ? '—' : String(a.status),
      a.error ?? '',
      `${a.duration_ms} ms`,
    ];
    row.append(...cells.map((text) => kit.el('td', text)));
    const action = kit.el('td');
    action.append(button(kit, 'Resend', () => resend(kit, endpoint, a.event), 'attempts-state'));
    row.append(action);
    rows.append(row);
  }
  kit.state('attempts-state', `${attempts.length} attempt(s) to ${endpoint.url} (${endpoint.id}), newest first`);
}

async function resend(kit: ConsoleKit, endpoint: Endpoint, event: string): Promise<void> {
  // To this endpoint only: the tenant's other endpoints that had the event are not sent it again.
  const { status, body } = await kit.call(`/gateway/v1/events/${encodeURIComponent(event)}/resend`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ endpoint: endpoint.id }),
  });
  if (status !== 200) {
    kit.state('attempts-state', `${status}: ${kit.messageOf(body)}`, true);
    return;
  }
  kit.state('attempts-state', `${event} queued again for ${endpoint.url}; refresh its attempts to see the delivery.`);
}

async function showEndpoints(kit: ConsoleKit): Promise<void> {
  kit.state('webhooks-state', 'Loading…');
  const { status, body } = await kit.call('/gateway/v1/webhook_endpoints');
  const rows = kit.$('endpoint-rows');
  rows.replaceChildren();
  kit.$('attempts').hidden = true;
  if (status !== 200) {
    kit.$('endpoints').hidden = true;
    kit.state('webhooks-state', `${status}: ${kit.messageOf(body)}`, true);
    return;
  }
  const endpoints = (body as { data: Endpoint[] }).data;
  for (const e of endpoints) {
    const row = kit.el('tr', undefined, e.held ? 'held' : undefined);
    row.dataset.endpoint = e.id;
    const cells = [
      e.id,
      e.url,
      e.livemode ? 'live' : 'test',
      `${e.format} (${e.dialect})`,
      e.enabled_events.join(', '),
      e.status,
      String(e.failures),
      holdOf(e),
    ];
    row.append(...cells.map((text) => kit.el('td', text)));
    const action = kit.el('td');
    action.append(button(kit, 'Attempts', () => showAttempts(kit, e), 'attempts-state'));
    row.append(action);
    rows.append(row);
  }
  kit.$('endpoints').hidden = endpoints.length === 0;
  kit.state('webhooks-state', endpoints.length === 0 ? 'No webhook endpoints.' : `${endpoints.length} endpoint(s)`);
}

/** Wires the card's button; nothing is asked of the gateway until it is pressed. */
export function startWebhooks(kit: ConsoleKit): void {
  kit.$('webhooks-load').addEventListener('click', () => {
    showEndpoints(kit).catch((e: unknown) => kit.state('webhooks-state', String(e), true));
  });
}
