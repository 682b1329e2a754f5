import { describe, expect, it } from 'vitest';
import { tailStages } from './tail-stages.ts';

// A slow request of the paced rows, joined with the server's request trace by its x-request-id,
// is classed by the stage it spent longest in (bench/tail-stages.ts).

/** A trace line: received, body, readSent, readStarted, readBack, handed, started, committed, back, written. */
const line = (id: string, marks: readonly number[]) => `request,${id},${marks.map((m) => m.toFixed(3)).join(',')}`;

describe('tailStages', () => {
  it('classes each slow request by its longest stage, and counts the ones the trace lacks', () => {
    const trace = [
      // Waited 7 ms for the commit before it (handed 1001 → started 1008).
      line('pace-1', [1000.2, 1000.5, 1000.6, 1000.7, 1000.9, 1001, 1008, 1008.6, 1008.7, 1009]),
      // Waited 5 ms in the writer's port for its read (readSent 2000.6 → readStarted 2005.6).
      line('pace-2', [2000.2, 2000.5, 2000.6, 2005.6, 2005.8, 2006, 2006.1, 2006.7, 2006.8, 2007]),
      // The update without its read (another path): not a full trace.
      `request,pace-3,3000.2,3000.5,,,,3001,3001.1,3001.7,3001.8,3002`,
    ].join('\n');
    const out = tailStages(
      'row',
      [
        { due: 1000, ms: 9.2, late: 0.1, id: 'pace-1' },
        { due: 2000, ms: 7.2, late: 0.1, id: 'pace-2' },
        { due: 3000, ms: 6, late: 0.1, id: 'pace-3' },
        { due: 4000, ms: 6, late: 0.1, id: 'pace-4' },
      ],
      trace,
    );
    expect(out).toBe('row: 4 by longest stage: read queued 1 (median 5.00 ms), commit queued 1 (median 7.00 ms); 2 without a full trace');
  });
});
