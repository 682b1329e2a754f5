/// <reference lib="dom" />
// The console's script (GET /console/app.js), compiled by `npm run docs` into bundle.ts. It talks
// only to the gateway's own API with the credential the person pasted, kept in sessionStorage.
// Everything shown is set as text, never as HTML.

import type { LoggedRequest } from '../../contract/request-log.ts';
import { startWebhooks } from './webhooks.ts';

interface Pasted {
  /** The header the secret goes in, then `+` and each header given the organisation (console/schemes.ts). */
  readonly scheme: string;
  readonly secret: string;
  readonly organisation: string;
}
interface FieldCoverage {
  readonly as: string;
  readonly note?: string;
}
interface Coverage {
  readonly dialects: string[];
  readonly fields: { readonly field: string; readonly dialects: Record<string, FieldCoverage | null> }[];
}
interface Views {
  readonly customer: { readonly ids: Record<string, unknown> };
  readonly views: Record<string, { readonly title: string; readonly body: unknown }>;
}
interface ChangeEvent {
  readonly version: number;
  readonly action: string;
  readonly dialect: string;
  readonly credential_id: string;
  readonly created_at: string;
  readonly changes: { readonly field: string }[];
}
interface Loss {
  readonly field: string;
  readonly kind: string;
  readonly message: string;
}

const storageKey = 'custgate.credential';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing`);
  return found as T;
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function loadCredential(): Pasted | undefined {
  const raw = sessionStorage.getItem(storageKey);
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as Pasted;
  } catch {
    return undefined;
  }
}

function authHeaders(c: Pasted): Record<string, string> {
  const [header = 'authorization', ...companions] = c.scheme.split('+');
  const headers: Record<string, string> = { [header]: header === 'authorization' ? `Bearer ${c.secret}` : c.secret };
  for (const companion of companions) headers[companion] = c.organisation;
  return headers;
}

/** A gateway API call with the stored credential; the parsed JSON body and status. */
async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const credential = loadCredential();
  const headers = { ...(credential ? authHeaders(credential) : {}), ...(init.headers as Record<string, string> | undefined) };
  const res = await fetch(path, { ...init, headers, credentials: 'omit', cache: 'no-store' });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: shown as it came.
  }
  return { status: res.status, body };
}

const messageOf = (body: unknown): string => (body as { error?: { message?: string } } | null)?.error?.message ?? JSON.stringify(body);

function state(id: string, text: string, error = false): void {
  const out = $(id);
  out.textContent = text;
  out.classList.toggle('error', error);
}

let coverage: Coverage | undefined;
async function coverageTable(): Promise<Coverage> {
  if (!coverage) coverage = (await call('/gateway/v1/coverage')).body as Coverage;
  return coverage;
}

/** Beside each pane: the fields this dialect cannot show, and (folded) what it shows with a caveat. */
function notesFor(table: Coverage, dialect: string): HTMLElement {
  const box = el('div', undefined, 'coverage');
  const absent = table.fields.filter((f) => f.dialects[dialect] === null).map((f) => f.field);
  box.append(el('p', absent.length > 0 ? `cannot show: ${absent.join(', ')}` : 'shows every field', 'absent'));
  const noted = table.fields.flatMap((f) => {
    const c = f.dialects[dialect];
    return c?.note ? [`${c.as} (${f.field}): ${c.note}`] : [];
  });
  if (noted.length > 0) {
    const details = el('details');
    const list = el('ul', undefined, 'notes');
    list.append(...noted.map((text) => el('li', text)));
    details.append(el('summary', `coverage notes (${noted.length})`), list);
    box.append(details);
  }
  return box;
}

function showPanes(views: Views, table: Coverage): void {
  const panes = $('panes');
  panes.replaceChildren();
  for (const [name, view] of Object.entries(views.views)) {
    const pane = el('section', undefined, 'pane');
    pane.dataset.dialect = name;
    pane.append(el('h3', view.title), el('pre', JSON.stringify(view.body, null, 2)), notesFor(table, name));
    panes.append(pane);
  }
}

function showHistory(events: ChangeEvent[]): void {
  const rows = $('history-rows');
  rows.replaceChildren();
  for (const e of [...events].reverse()) {
    const row = el('tr');
    const cells = [String(e.version), e.created_at, e.action, e.dialect, e.credential_id, e.changes.map((c) => c.field).join(', ')];
    row.append(...cells.map((text) => el('td', text)));
    rows.append(row);
  }
  $('history').hidden = false;
}

/** Issues #16/#17's endpoints: shown once the gateway answers them, hidden otherwise. */
async function showUpstream(ref: string): Promise<void> {
  const features = (await call('/console/features.json')).body as Record<string, boolean>;
  let any = false;
  for (const part of ['links', 'deliveries'] as const) {
    if (!features[part]) {
      $(part).hidden = true;
      continue;
    }
    const { status, body } = await call(`/gateway/v1/customers/${encodeURIComponent(ref)}/${part}`);
    const shown = status === 200;
    $(part).hidden = !shown;
    if (shown) $(`${part}-body`).textContent = JSON.stringify(body, null, 2);
    any ||= shown;
  }
  $('upstream').hidden = !any;
}

async function lookUp(ref: string): Promise<void> {
  state('lookup-state', 'Looking up…');
  const path = `/gateway/v1/customers/${encodeURIComponent(ref)}`;
  const [views, events, table] = await Promise.all([call(`${path}/views`), call(`${path}/events`), coverageTable()]);
  if (views.status !== 200) {
    $('panes').replaceChildren();
    $('history').hidden = true;
    $('upstream').hidden = true;
    state('lookup-state', `${views.status}: ${messageOf(views.body)}`, true);
    return;
  }
  const found = views.body as Views;
  showPanes(found, table);
  if (events.status === 200) showHistory((events.body as { data: ChangeEvent[] }).data);
  state('lookup-state', `Customer ${String(found.customer.ids.uuid)}`);
  await showUpstream(ref);
}

async function translate(from: string, to: string, body: string): Promise<void> {
  state('translate-state', 'Translating…');
  const query = new URLSearchParams({ from, to });
  const { status, body: answer } = await call(`/gateway/v1/translate?${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const losses = $('losses');
  losses.replaceChildren();
  if (status !== 200) {
    $('translate-result').textContent = '';
    $('no-loss').hidden = true;
    state('translate-state', `${status}: ${messageOf(answer)}`, true);
    return;
  }
  const result = answer as { body: unknown; losses: Loss[] };
  $('translate-result').textContent = JSON.stringify(result.body, null, 2);
  for (const loss of result.losses) {
    const row = el('tr');
    row.append(el('td', loss.field), el('td', loss.kind), el('td', loss.message));
    losses.append(row);
  }
  $('no-loss').hidden = result.losses.length > 0;
  state('translate-state', `${from} → ${to}: ${result.losses.length} loss(es)`);
}

/** The tenant's last requests (GET /gateway/v1/requests, bodies already redacted): a row each; a click shows its bodies. */
async function showRequests(status: string, path: string): Promise<void> {
  state('requests-state', 'Loading…');
  const query = new URLSearchParams({ limit: '50', ...(status ? { status } : {}), ...(path ? { path } : {}) });
  const answer = await call(`/gateway/v1/requests?${query}`);
  const rows = $('requests-rows');
  rows.replaceChildren();
  $('request-detail').hidden = true;
  if (answer.status !== 200) {
    state('requests-state', `${answer.status}: ${messageOf(answer.body)}`, true);
    return;
  }
  const data = (answer.body as { data: LoggedRequest[] }).data;
  for (const r of data) {
    const row = el('tr', undefined, r.status >= 400 ? 'failed' : undefined);
    const cells = [r.time, String(r.status), r.method, r.path, r.dialect, String(r.duration_ms), r.request_id ?? ''];
    row.append(...cells.map((text) => el('td', text)));
    row.addEventListener('click', () => {
      const detail = $('request-detail');
      detail.textContent = JSON.stringify({ request: r.request_body, response: r.response_body }, null, 2);
      detail.hidden = false;
    });
    rows.append(row);
  }
  state('requests-state', `${data.length} request(s), newest first`);
}

function showCredentialState(): void {
  const c = loadCredential();
  state('credential-state', c ? `Using a ${c.scheme} credential ending …${c.secret.slice(-4)}` : 'No credential yet.');
}

async function start(): Promise<void> {
  startWebhooks({ call, el, $, state, messageOf });
  const form = $<HTMLFormElement>('credential-form');
  const stored = loadCredential();
  if (stored) {
    $<HTMLSelectElement>('scheme').value = stored.scheme;
    $<HTMLInputElement>('organisation').value = stored.organisation;
  }
  showCredentialState();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const credential: Pasted = {
      scheme: $<HTMLSelectElement>('scheme').value,
      secret: $<HTMLInputElement>('secret').value.trim(),
      organisation: $<HTMLInputElement>('organisation').value.trim(),
    };
    sessionStorage.setItem(storageKey, JSON.stringify(credential));
    $<HTMLInputElement>('secret').value = '';
    showCredentialState();
  });
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(storageKey);
    showCredentialState();
  });

  $<HTMLFormElement>('lookup-form').addEventListener('submit', (event) => {
    event.preventDefault();
    lookUp($<HTMLInputElement>('ref').value.trim()).catch((e: unknown) => state('lookup-state', String(e), true));
  });

  $<HTMLFormElement>('requests-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const status = $<HTMLInputElement>('requests-status').value.trim();
    showRequests(status, $<HTMLInputElement>('requests-path').value.trim()).catch((e: unknown) => state('requests-state', String(e), true));
  });

  const table = await coverageTable();
  for (const id of ['from', 'to']) {
    const select = $<HTMLSelectElement>(id);
    select.replaceChildren(...table.dialects.map((name) => Object.assign(el('option', name), { value: name })));
  }
  $<HTMLSelectElement>('to').value = table.dialects.includes('meteroid') ? 'meteroid' : (table.dialects[1] ?? '');
  $<HTMLFormElement>('translate-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const from = $<HTMLSelectElement>('from').value;
    const to = $<HTMLSelectElement>('to').value;
    translate(from, to, $<HTMLTextAreaElement>('translate-body').value).catch((e: unknown) => state('translate-state', String(e), true));
  });
}

start().catch((e: unknown) => state('lookup-state', String(e), true));
