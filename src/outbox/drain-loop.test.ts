import { describe, expect, it } from 'vitest';
import { drainRounds } from './drain-loop.ts';
import { DrainPace } from './drain-pace.ts';

// While requests are served a round's rows start in groups, a turn of the loop between groups
// (a request waits behind one group's synchronous work); the group's size bounds how many rows a
// round can start per turn, which is what let the webhook queue fall behind at 500 updates/s.
describe('drainRounds while requests are served', () => {
  /** One round of `rows` rows; for each row, the turn of the loop (counted by a ticker) its send started in. */
  async function startedTurns(rows: number, rowsPerTurn: number | undefined, serving: boolean): Promise<number[]> {
    const pace = new DrainPace(1, { quietMs: 60_000 });
    if (serving) pace.requestStarted();
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const started: number[] = [];
    let given = false;
    try {
      await drainRounds<{ attempts: number; id: number }>({
        now: () => new Date(),
        pace,
        limit: rows,
        ...(rowsPerTurn === undefined ? {} : { rowsPerTurn }),
        leaseMs: 60_000,
        owner: 'test',
        due: async () => {
          if (given) return [];
          given = true;
          return Array.from({ length: rows }, (_, id) => ({ attempts: 0, id }));
        },
        claim: async (due) => [...due],
        process: async (claimed, _owner, each) => {
          await each(claimed, async () => {
            started.push(turns);
          });
          return true;
        },
      });
    } finally {
      ticking = false;
      if (serving) pace.requestEnded();
    }
    return started;
  }
  const groups = (turns: number[]) => new Set(turns).size;

  it('starts one row per turn by default, and rowsPerTurn rows per turn when asked', async () => {
    expect(groups(await startedTurns(32, undefined, true))).toBe(32);
    const eights = await startedTurns(32, 8, true);
    expect(groups(eights)).toBe(4);
    expect(eights.filter((t) => t === eights[0])).toHaveLength(8);
  });

  it('starts a whole round at once when no request is being served', async () => {
    expect(groups(await startedTurns(32, undefined, false))).toBe(1);
  });
});
