/**
 * Reads and writes in flight. A backend call that started before a change may return what the
 * change made stale, after it: its answer is still fine for its caller (the two were
 * concurrent), but must not be cached, nor replace a newer cached version. Each call registers a
 * flight; a change of a task is noted on the flights of that task (and makes every flight that
 * did not know its task in advance, a `loadByRequestId`, stale); emptying the cache makes them
 * all stale. When the flight lands, its answer may be cached only if it contains every change
 * noted meanwhile (see `freshness.ts`). Only calls in flight are tracked, so this holds nothing
 * once they are over.
 */
import type { AgentTask } from '@taskvault/core';
import { type ChangeMark, contains } from './freshness.js';

/** One backend call in flight. */
export interface Flight {
  readonly key: string | null;
  /** Set by a change the answer cannot contain, or by emptying the cache. */
  stale: boolean;
  /** The changes noted while in flight; kept only while the flight is not stale. */
  noted: ChangeMark[];
}

/** More changes than this noted on one flight: it is stale (its answer is surely older). */
const MAX_NOTED = 16;

export class Flights {
  readonly #byKey = new Map<string, Set<Flight>>();
  /** Flights whose task is not known before they land (loadByRequestId). */
  readonly #unkeyed = new Set<Flight>();

  /** A call on `key` (a taskId), or on a task not known yet (`null`), starts. */
  begin(key: string | null): Flight {
    const flight: Flight = { key, stale: false, noted: [] };
    if (key === null) this.#unkeyed.add(flight);
    else {
      const set = this.#byKey.get(key);
      if (set === undefined) this.#byKey.set(key, new Set([flight]));
      else set.add(flight);
    }
    return flight;
  }

  /**
   * The call is over: true when `answer` may be cached — nothing emptied the cache meanwhile and
   * the answer contains every change noted on the flight.
   */
  end(flight: Flight, answer: AgentTask | null): boolean {
    if (flight.key === null) this.#unkeyed.delete(flight);
    else {
      const set = this.#byKey.get(flight.key);
      set?.delete(flight);
      if (set?.size === 0) this.#byKey.delete(flight.key);
    }
    if (flight.stale || answer === null) return false;
    return flight.noted.every((change) => contains(answer, change));
  }

  /**
   * Task `key` changed as `change` says (`null`: in any way), or a call saw it so: the flights of
   * that task must contain it to be cached. A change (not a sighting) also makes every flight by
   * request id stale, as it may change what a request id finds.
   */
  note(key: string, change: ChangeMark | null, sighting = false): void {
    const set = this.#byKey.get(key);
    if (set !== undefined) {
      for (const flight of set) {
        if (flight.stale) continue;
        if (change === null || flight.noted.length >= MAX_NOTED) {
          flight.stale = true;
          flight.noted = [];
        } else flight.noted.push(change);
      }
    }
    if (!sighting) for (const flight of this.#unkeyed) flight.stale = true;
  }

  /** Anything may have changed: every call in flight is stale. */
  invalidateAll(): void {
    for (const set of this.#byKey.values()) for (const flight of set) flight.stale = true;
    for (const flight of this.#unkeyed) flight.stale = true;
  }
}
