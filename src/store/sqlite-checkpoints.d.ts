import type BetterSqlite3 from 'better-sqlite3';

export const defaultCheckpointFrames: number;

export function checkpointThread(options: {
  db: BetterSqlite3.Database;
  path: string;
  synchronous: 'full' | 'normal';
  busyTimeoutMs: number;
  checkpointFrames: number;
  resetFrames?: number;
  record?: ((kind: string, started: number, ms: number, detail: string | number) => void) | undefined;
}): { afterCommit: () => void; stop: () => Promise<void> };
