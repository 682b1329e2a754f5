import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { accessLine } from '../src/entries/node.ts';
import type { AccessEntry } from '../src/logger.ts';

// The server composes its access line itself (src/entries/node.ts); whoever reads the log reads
// pino's lines, so the composed line must be the very bytes pino writes for the same entry.
function pinoLine(entry: AccessEntry): string {
  let out = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      out += String(chunk);
      done();
    },
  });
  const log = pino(
    { base: null, timestamp: () => `,"time":${JSON.stringify(entry.time)}`, formatters: { level: (label) => ({ level: label }) } },
    sink,
  );
  const { time: _time, ...fields } = entry;
  log.info({ event: 'request', ...fields });
  return out;
}

describe('the access line', () => {
  const base: AccessEntry = {
    time: '2026-12-05T07:55:01.123Z',
    request_id: 'req_AbC123xyz00000',
    tenant: 'ten_0123456789abcdef',
    dialect: 'wooshpay',
    method: 'GET',
    route: '/wooshpay/v1/customers/:id',
    status: 200,
    duration_ms: 0.412,
  };

  it.each([
    ['a served retrieve', base],
    ['a request that never authenticated', { ...base, tenant: null, dialect: 'none', route: 'unmatched', status: 404, duration_ms: 12 }],
    ['values JSON must escape', { ...base, request_id: 'a"b\\c', tenant: 'tenant\n"x"', route: '/v1/ü/\u2028', duration_ms: 1e-7 }],
  ])('is byte for byte the line pino writes: %s', (_name, entry) => {
    const line = accessLine(entry);
    expect(line).toBe(pinoLine(entry));
    expect(JSON.parse(line)).toEqual({ level: 'info', event: 'request', ...entry });
  });
});
