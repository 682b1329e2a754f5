// Customers this process read recently, kept only while nothing may have changed them: each entry
// belongs to the executor's read epoch (executor.ts, `readEpoch`), and the whole cache is dropped
// the moment the epoch moves — a commit by any connection or process, this one's included. A
// retrieve served from here skips the point select, which after any commit starts from a reset page
// cache (docs/performance.md). Bounded: at most `size` rows, the oldest dropped first.

import { BoundedMap } from '../contract/bounded-map.ts';

export class EpochCache<V> {
  readonly #entries: BoundedMap<string, V>;
  #epoch = Number.NaN;

  constructor(size: number) {
    this.#entries = new BoundedMap(size);
  }

  get enabled(): boolean {
    return this.#entries.enabled;
  }

  get(epoch: number, key: string): V | undefined {
    if (epoch !== this.#epoch) {
      this.#entries.clear();
      this.#epoch = epoch;
      return undefined;
    }
    return this.#entries.get(key);
  }

  /** Keeps a value read after `epoch` was taken. */
  set(epoch: number, key: string, value: V): void {
    if (epoch !== this.#epoch) {
      this.#entries.clear();
      this.#epoch = epoch;
    }
    this.#entries.set(key, value);
  }
}
