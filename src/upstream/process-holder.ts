import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { LeaseHolder } from './import-lease.ts';

// A Node process's holder id names its host and pid, so a start on the same host can tell that
// the holder of a running import was killed (kill -9 leaves no chance to release) and take it
// over at once, instead of after the lease lapses. On another host nothing can be told: it waits.

export function processHolder(): LeaseHolder {
  const host = hostname();
  return {
    id: `${host}:${process.pid}:${randomUUID().slice(0, 8)}`,
    gone: (holder) => {
      const [at, pid] = holder.split(':');
      const n = Number(pid);
      if (at !== host || !Number.isInteger(n) || n <= 0 || n === process.pid) return false;
      try {
        process.kill(n, 0);
        return false;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'ESRCH';
      }
    },
  };
}
