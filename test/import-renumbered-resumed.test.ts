import { expect, it } from 'vitest';
import { importRig, laterPagesRefused } from './support/import-over-http.ts';

// `renumbered` names the provider customers an import stored under other ids than the provider's.
// An import that stops part-way (its provider unreachable, its process killed) and is resumed must
// name those of every run of it, not only of the run that finished it. Here a tenant imports the
// same provider account a second time, through another upstream: every customer is held already,
// so each is stored under new ids. The second import fails at its second page and is resumed.

type Job = { state: string; imported: number; renumbered: { upstream_id: string }[]; error?: string };

const BOOK = 101; // two pages of the provider's list (100 a page)
const books = importRig(BOOK, (i) => `Resumed ${i}`);

it('an import resumed after a failure names in renumbered the customers of every run of it', async () => {
  const { provider } = books.rig;
  const t = await books.tenant('renumbered-resumed');
  const first = await t.add('wooshpay', provider.baseUrl('wooshpay'));
  expect(await t.ended<Job>(first.id)).toMatchObject({ state: 'done', imported: BOOK, renumbered: [] });
  await t.remove(first.id);

  // The same account at another address, which refuses the second page once.
  let failSecondPage = true;
  const proxy = await laterPagesRefused(provider.baseUrl('wooshpay'), () => failSecondPage, 400, 'No.');
  try {
    const second = await t.add('wooshpay', proxy.url);
    const failed = await t.ended<Job>(second.id);
    expect(failed).toMatchObject({ state: 'failed', imported: 100 });
    expect(failed.renumbered).toHaveLength(100);
    failSecondPage = false;
    const done = await t.ended<Job>(second.id);
    expect(done).toMatchObject({ state: 'done', imported: BOOK });
    expect(done.renumbered.map((r) => r.upstream_id).sort()).toEqual([...books.providerIds].sort());
  } finally {
    await proxy.close();
  }
}, 120_000);
