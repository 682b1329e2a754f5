import { describe, expect, it } from 'vitest';
import type { PacedDetail } from './load.ts';
import { attributeTail, summarizeTrace } from './tail.ts';

// How `--only paced` says where a row's slow requests come from (issue #30): each request over
// 5 ms is counted against what was going on while it waited, from the writer thread's trace and
// the server's main-thread trace, both CSV lines `kind,start ms since the epoch,ms,detail`.

const window = { label: 'row', startedMs: 1_000, endedMs: 2_000 };

const paced = (slow: PacedDetail['slow']): PacedDetail => ({ lateP99: 0.4, lateMax: 6.5, lateOver5: 1, slow });

describe('attributeTail', () => {
  it('counts each slow request against the slow commits, main-thread pauses and late sends it overlapped', () => {
    const writer = [
      'commit,1100.0,40.000,3/4096', // a 40 ms commit: 1100–1140
      'commit,1300.0,0.500,1/4096', // fast: explains nothing
      'finish,1500.0,3.000,20/20/0', // the writer's finishing step: 1500–1503
      'commit,2500.0,90.000,1/4096', // outside the window
    ].join('\n');
    const main = [
      'gc,1200.0,6.000,scavenge', // 1200–1206
      'gc,1250.0,0.800,scavenge', // too short to count
      'stall,1700.0,12.000', // 1700–1712
    ].join('\n');
    const line = attributeTail(
      window,
      paced([
        { due: 1110, ms: 20, late: 0.1 }, // during the commit
        { due: 1198, ms: 9, late: 0.1 }, // during the GC
        { due: 1499, ms: 6, late: 0.1 }, // during the finishing step
        { due: 1705, ms: 8, late: 0.1 }, // during the stall
        { due: 1800, ms: 7, late: 3 }, // sent late
        { due: 1900, ms: 6, late: 0 }, // nothing known
      ]),
      writer,
      main,
    );
    expect(line).toContain('row: 6 requests over 5 ms');
    expect(line).toContain('during a commit of 2 ms or more 2');
    expect(line).toContain('a main-thread pause of 2 ms or more 2 (a GC 1)');
    expect(line).toContain('sent 2 ms or more late 1');
    expect(line).toContain('none of these 1');
    expect(line).toContain('GC 2 pauses (2 scavenge;');
    expect(line).toContain('1 over 5 ms');
    expect(line).toContain('main thread late over 2 ms 1 times');
    expect(line).toContain('pacer sent late p99 0.40 ms, max 6.50, 1 over 5 ms');
  });

  it('says so when nothing was slow', () => {
    expect(attributeTail(window, paced([]), '', '')).toContain('row: 0 requests over 5 ms; during a commit of 2 ms or more 0');
  });
});

describe('summarizeTrace', () => {
  it("counts the writer's finishing steps apart from the checkpoints off the commit path, and the WAL's peak", () => {
    const trace = [
      'commit,1100.0,6.000,2/4198400',
      'commit,1200.0,0.400,1/8396800',
      'checkpoint,1300.0,9.000,1000/990/0',
      'finish,1310.0,1.000,1010/1010/0',
      'commit,900.0,50.000,1/99999999', // before the window
    ].join('\n');
    const line = summarizeTrace(trace, window);
    expect(line).toContain('row: 2 commits (1.50 updates each)');
    expect(line).toContain('1 over 5 ms');
    expect(line).toContain('1 checkpoints off the commit path');
    expect(line).toContain('1 finished on the writer');
    expect(line).toContain('WAL up to 8.0 MB');
  });
});
