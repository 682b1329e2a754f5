// The one bounded cache of the gateway's per-process memories (verified keys and tokens, read
// rows, kept customers, request logs, simulated attempts): a Map that holds at most `size`
// entries and, when a new key would pass that, drops the entry written (or, with `use`, read)
// longest ago. A Map iterates in insertion order, so the oldest entry is always its first key.

export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #size: number;

  /** At most `size` entries; 0 (or less) keeps nothing. */
  constructor(size: number) {
    this.#size = size;
  }

  get enabled(): boolean {
    return this.#size > 0;
  }

  get count(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  /** As `get`, and the entry becomes the newest: the least recently used is dropped first. */
  use(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  /** Keeps `value` as the newest entry, dropping the oldest when the map is full. */
  set(key: K, value: V): void {
    if (this.#size <= 0) return;
    if (!this.#entries.delete(key) && this.#entries.size >= this.#size) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, value);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  /** Drops every entry whose value `drop` picks: a walk of the whole map, for what is rare. */
  deleteWhere(drop: (value: V) => boolean): void {
    for (const [key, value] of this.#entries) if (drop(value)) this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
