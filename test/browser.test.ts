import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../dialects/index.ts';
import type { AnyDialect } from '../src/contract/dialect.ts';
import { type NodeGateway, startNode } from '../src/entries/node.ts';
import { type CreatedTenant, createTenant } from './support/registered.ts';
import { launchChromium, watchedPage } from './support/browser.ts';
import { testEnv } from './support/gateway.ts';
import { testBackend, testStore } from './support/store.ts';
import { type Receiver, startReceiver } from './support/webhook-receiver.ts';

// /docs and /console in a real headless Chromium against a real gateway server: what a person
// sees and clicks. Nothing may load from anywhere but the gateway, and nothing may log an error.
// CUSTGATE_SCREENSHOT=docs/console.png writes the console's screenshot there (README shows it).

const all: AnyDialect[] = Object.values(dialects);
const shots = mkdtempSync(join(tmpdir(), 'custgate-browser-'));

// The browser sees the same pages whatever the store: run it once, in the sqlite project.
describe.skipIf(testBackend() !== 'sqlite')('in a real browser', () => {
  let gateway: NodeGateway;
  let tenant: CreatedTenant;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    const store = await testStore();
    gateway = await startNode({ ...testEnv }, { port: 0, hostname: '127.0.0.1', store });
    base = `http://127.0.0.1:${gateway.port}`;
    tenant = await createTenant(store, gateway.config, 'acme');
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    rmSync(shots, { recursive: true, force: true });
  });

  it("/docs shows every dialect's update operation, from local files only", async () => {
    const { page, errors, external } = await watchedPage(browser, base);
    await page.goto(`${base}/docs`);
    const select = page.locator('.topbar select');
    for (const d of all) {
      await select.selectOption({ label: d.title });
      const update = page.locator('#operations-Customers-updateCustomer');
      await update.waitFor();
      await expect.poll(() => update.textContent()).toContain(`${d.routes.prefix}${d.routes.collection}/{id}`);
      expect(await update.locator('.opblock-summary-method').textContent()).toBe(d.routes.update);
    }
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  }, 120_000);

  it('/console looks up a customer created through Zenskar and shows it in all five shapes, with its history', async () => {
    const zenskar = tenant.credentials.zenskar!;
    const created = await fetch(`${base}/zenskar/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': zenskar.api_key!, organisation: zenskar.organisation! },
      body: JSON.stringify({
        customer_name: 'Ada Console',
        email: 'ada@example.com',
        phone_number: '+15555550100',
        external_id: 'crm-4711',
      }),
    });
    expect(created.status).toBe(200);

    const { page, errors, external } = await watchedPage(browser, base);
    await page.goto(`${base}/console`);
    await page.selectOption('#scheme', 'authorization');
    await page.fill('#secret', tenant.credentials.wooshpay!.secret_key!);
    await page.click('#credential-form button[type=submit]');
    // Session storage only: no cookie, nothing in the address.
    expect(await page.context().cookies()).toEqual([]);
    expect(page.url()).toBe(`${base}/console`);

    await page.fill('#ref', 'crm-4711');
    await page.click('#lookup-form button[type=submit]');
    await page
      .locator('.pane')
      .nth(all.length - 1)
      .waitFor();
    for (const d of all) {
      const pane = page.locator(`.pane[data-dialect="${d.name}"]`);
      expect(await pane.locator('h3').textContent()).toBe(d.title);
      expect(await pane.locator('pre').textContent()).toContain('Ada Console');
    }
    // Coverage notes beside the panes: Zenskar's has no invoice prefix, for one.
    expect(await page.locator('.pane[data-dialect="zenskar"] .absent').textContent()).toMatch(/cannot show: .*invoice_prefix/);
    expect(await page.locator('.pane[data-dialect="meteroid"] details .notes').textContent()).toContain('billing_email');
    // The history, links and deliveries arrive after the panes (their own requests): wait for them.
    const history = page.locator('#history-rows tr');
    await history.first().waitFor();
    expect(await history.count()).toBe(1);
    expect(await history.first().textContent()).toContain('zenskar');
    expect(await history.first().textContent()).toContain('name');
    // The gateway serves links and deliveries (#16, #17): shown, and empty for a customer with no upstream.
    await page.locator('#upstream').waitFor({ state: 'visible' });
    await expect.poll(() => page.locator('#links-body').textContent()).toMatch(/"data": \[\]/);

    await page.screenshot({ path: process.env.CUSTGATE_SCREENSHOT ?? join(shots, 'console.png'), fullPage: true });
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(['custgate.credential']);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  }, 120_000);

  it("the request log view lists the tenant's last requests, filters by status and shows bodies with secrets redacted", async () => {
    const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key!}` };
    const secret = 'do-not-show-this-token-4711';
    const created = await fetch(`${base}/v1/customers`, {
      method: 'POST',
      headers: auth,
      body: new URLSearchParams({ name: 'Logged Lou', 'metadata[api_token]': secret }),
    });
    expect(created.status).toBe(200);
    expect((await fetch(`${base}/v1/customers/cus_missing0000000`, { headers: auth })).status).toBe(404);

    const { page, errors, external } = await watchedPage(browser, base);
    await page.goto(`${base}/console`);
    await page.fill('#secret', tenant.credentials.wooshpay!.secret_key!);
    await page.click('#credential-form button[type=submit]');
    await page.click('#requests-form button[type=submit]');
    const rows = page.locator('#requests-rows tr');
    await expect.poll(() => page.locator('#requests-state').textContent()).toMatch(/request\(s\), newest first/);
    const texts = await rows.allTextContents();
    expect(texts.some((t) => t.includes('404') && t.includes('/v1/customers/cus_missing0000000'))).toBe(true);
    const createRow = rows.filter({ hasText: 'POST' }).filter({ hasText: '/v1/customers' }).first();
    await createRow.click();
    const detail = page.locator('#request-detail');
    await detail.waitFor({ state: 'visible' });
    expect(await detail.textContent()).toContain('Logged Lou');
    expect(await detail.textContent()).toContain('[redacted]');
    expect(await page.content()).not.toContain(secret);

    await page.fill('#requests-status', '4xx');
    await page.click('#requests-form button[type=submit]');
    const statuses = () => rows.locator('td:nth-child(2)').allTextContents();
    await expect.poll(async () => (await statuses()).every((t) => /^4\d\d$/.test(t))).toBe(true);
    expect(await rows.count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  }, 120_000);

  it("/console shows an endpoint's delivery attempts, failed then delivered, and resends an event to that endpoint", async () => {
    const receiver: Receiver = await startReceiver();
    // Another endpoint of the tenant that gets the same event: the console's Resend is not for it.
    const other: Receiver = await startReceiver();
    try {
      receiver.status = 503;
      const auth = { authorization: `Bearer ${tenant.credentials.wooshpay!.secret_key}` };
      const register = async (url: string) => {
        const made = await fetch(`${base}/gateway/v1/webhook_endpoints`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ url, enabled_events: ['customer.created'] }),
        });
        expect(made.status).toBe(201);
        return (await made.json()) as { id: string };
      };
      const endpoint = await register(receiver.url);
      const otherEndpoint = await register(other.url);
      const created = await fetch(`${base}/v1/customers`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=Hooked',
      });
      expect(created.status).toBe(200);
      // The server sends right after the write: wait for that first (failed) attempt on the API.
      const attempts = async (id = endpoint.id) =>
        (
          (await (await fetch(`${base}/gateway/v1/webhook_endpoints/${id}/attempts`, { headers: auth })).json()) as {
            data: { event: string; status: number }[];
          }
        ).data;
      await expect.poll(attempts, { timeout: 20_000 }).toContainEqual(expect.objectContaining({ status: 503 }));
      const event = (await attempts())[0]!.event;

      const { page, errors, external } = await watchedPage(browser, base);
      await page.goto(`${base}/console`);
      await page.fill('#secret', tenant.credentials.wooshpay!.secret_key!);
      await page.click('#credential-form button[type=submit]');
      await page.click('#webhooks-load');
      const row = page.locator(`#endpoint-rows tr[data-endpoint="${endpoint.id}"]`);
      await row.waitFor();
      expect(await row.textContent()).toContain(receiver.url);
      // Made with a test key, it gets test events only: the mode column says so.
      expect(await page.locator('#endpoints thead th').nth(2).textContent()).toBe('mode');
      expect(await row.locator('td').nth(2).textContent()).toBe('test');
      // Its receiver down, the endpoint is held: the card says until when and after how many failed
      // rounds (it showed neither before). Looked at again until a look falls within a hold: each
      // failed round holds it for longer.
      expect(await page.locator('#endpoints thead th').nth(7).textContent()).toBe('held');
      const held = row.locator('td').nth(7);
      const heldNow = async () => {
        await page.click('#webhooks-load');
        await row.waitFor();
        return held.textContent();
      };
      await expect.poll(heldNow, { timeout: 20_000 }).toMatch(/^until \d{4}-\d\d-\d\dT\S+Z \(\d+ failed rounds?\)$/);
      expect(await row.getAttribute('class')).toBe('held');
      await row.locator('button').click();
      const failed = page.locator('#attempt-rows tr.failed');
      await failed.first().waitFor();
      expect(await failed.first().textContent()).toContain(event);
      expect(await failed.first().textContent()).toContain('HTTP 503');

      // The receiver is back: the retry delivers it, and the log shows it on the next look.
      receiver.status = 200;
      await expect.poll(attempts, { timeout: 20_000 }).toContainEqual(expect.objectContaining({ status: 200 }));
      // Answered, the hold is over.
      await expect.poll(heldNow, { timeout: 20_000 }).toBe('—');
      await row.locator('button').click();
      await page.locator('#attempt-rows tr.ok').first().waitFor();
      expect(await page.locator('#attempt-rows tr.ok').first().textContent()).toContain(event);

      // Resend from the log: the same event id arrives once more.
      const before = receiver.received.length;
      await page.locator('#attempt-rows tr.ok button').first().click();
      await expect.poll(() => page.locator('#attempts-state').textContent()).toContain('queued again');
      await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBe(before + 1);
      expect(JSON.parse(receiver.received.at(-1)!.body)).toMatchObject({ id: event, type: 'customer.created' });
      // Its round is settled once its attempt is logged: the other endpoint had one attempt, and still has.
      await expect.poll(async () => (await attempts()).filter((a) => a.status === 200).length, { timeout: 20_000 }).toBe(2);
      expect(await attempts(otherEndpoint.id)).toEqual([expect.objectContaining({ event, status: 200 })]);
      expect(other.received).toHaveLength(1);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
    } finally {
      await receiver.close();
      await other.close();
    }
  }, 120_000);

  it('the translate playground shows the body in the other dialect and its loss report', async () => {
    const { page, errors, external } = await watchedPage(browser, base);
    await page.goto(`${base}/console`);
    await page.fill('#secret', tenant.credentials.meteroid!.api_key!);
    await page.click('#credential-form button[type=submit]');
    await page.selectOption('#from', 'wooshpay');
    await page.selectOption('#to', 'meteroid');
    await page.fill('#translate-body', JSON.stringify({ name: 'Jenny Rosen', metadata: { plan: 'gold' } }));
    await page.click('#translate-form button[type=submit]');
    await expect.poll(() => page.locator('#translate-state').textContent()).toContain('wooshpay → meteroid');
    expect(JSON.parse((await page.locator('#translate-result').textContent()) ?? '')).toEqual({ name: 'Jenny Rosen' });
    const losses = page.locator('#losses tr');
    expect(await losses.count()).toBe(1);
    expect(await losses.first().textContent()).toContain('metadata');
    expect(await losses.first().textContent()).toContain('unsupported');
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  }, 120_000);
});
