/**
 * A least-recently-used map bounded by a number of entries and a total size. A `Map` keeps
 * insertion order, so moving an entry to the end on use makes its first key the least recently
 * used: every operation is O(1).
 */
export class BoundedLru<V> {
  readonly #entries = new Map<string, { value: V; bytes: number }>();
  #bytes = 0;
  /** Entries pushed out by the bounds (not removed on purpose) since the start. */
  evictions = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** The value without touching its place. */
  peek(key: string): V | undefined {
    return this.#entries.get(key)?.value;
  }

  /**
   * Holds `value` as the most recently used, pushing out the least recently used ones while a
   * bound is passed. A value larger than `maxBytes` is not held (and any old value goes).
   */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    while (this.#entries.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const oldest = this.#entries.keys().next().value as string;
      this.delete(oldest);
      this.evictions++;
    }
  }

  /** Removes the entry; true when there was one. */
  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
    return true;
  }

  /** Removes everything; returns how many entries there were. */
  clear(): number {
    const n = this.#entries.size;
    this.#entries.clear();
    this.#bytes = 0;
    return n;
  }
}
