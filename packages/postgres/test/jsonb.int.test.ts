/**
 * jsonb stores numbers as numeric and prints them in full decimal (1.7976931348623157e308 comes
 * back as a 309-digit integer). That text must parse to the very same double: checked for the
 * edge cases and for doubles drawn from random 64-bit patterns (every exponent equally likely),
 * through create (data), patch (merge) and items.
 */

/** `count` finite doubles from random bit patterns (xorshift, seeded: failures reproduce). */
function randomDoubles(count: number, seed = 0x9e3779b97f4a7c15n): number[] {
  const view = new DataView(new ArrayBuffer(8));
  const out: number[] = [];
  let state = seed;
  while (out.length < count) {
    state ^= (state << 13n) & 0xffffffffffffffffn;
    state ^= state >> 7n;
    state ^= (state << 17n) & 0xffffffffffffffffn;
    view.setBigUint64(0, state);
    const x = view.getFloat64(0);
    if (Number.isFinite(x)) out.push(x === 0 ? 0 : x); // JSON has no -0; core stores 0
  }
  return out;
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresTaskStore } from '../src/index.js';
import { storeOn, useServer } from './helpers.js';

const server = useServer();

const EDGES = [
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  2.2250738585072014e-308, // smallest normal
  2.225073858507201e-308, // largest subnormal
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  2 ** 63,
  1e21,
  1e-7,
  0.1,
  0.1 + 0.2,
  1 / 3,
  123456789.12345679,
  -0.000001,
  5e-324,
  2 ** 53 + 2, // above 2^53 only even integers exist
  1.0000000000000002,
];

describe('numbers through jsonb', () => {
  let store: PostgresTaskStore;
  beforeAll(async () => {
    store = storeOn(await server().createDatabase());
  });
  afterAll(async () => {
    await store.close();
  });

  const sameDoubles = (a: number[], b: unknown) => {
    expect(Array.isArray(b)).toBe(true);
    for (const [i, x] of (b as number[]).entries()) {
      expect(Object.is(x, a[i]), `${a[i]} came back as ${x}`).toBe(true);
    }
  };

  it('edge-case doubles come back bit-identical from data, patched data and item content', async () => {
    const created = await store.create({
      taskId: 'edges',
      data: { n: EDGES },
      items: [{ requestId: 'r', role: 'tool', content: EDGES, createdAt: new Date() }],
    });
    const loaded = (await store.load('edges'))!;
    sameDoubles(EDGES, loaded.data.n);
    sameDoubles(EDGES, loaded.items[0]!.content);
    expect(loaded).toEqual(created);
    const patched = await store.patch('edges', {
      data: { m: EDGES },
      appendItems: [{ requestId: 'r2', role: 'tool', content: { v: EDGES }, createdAt: new Date() }],
    });
    sameDoubles(EDGES, patched.data.m);
    sameDoubles(EDGES, (patched.items[1]!.content as { v: number[] }).v);
    sameDoubles(EDGES, (await store.load('edges'))!.data.m);
  });

  it('5000 doubles from random bit patterns come back bit-identical', async () => {
    const all = randomDoubles(5000);
    for (let i = 0; i < all.length; i += 250) {
      const values = all.slice(i, i + 250);
      const taskId = `random-${i}`;
      await store.create({ taskId, data: { xs: values } });
      sameDoubles(values, (await store.load(taskId))!.data.xs);
      const patched = await store.patch(taskId, { data: { ys: values } });
      sameDoubles(values, patched.data.ys);
    }
  });
});
