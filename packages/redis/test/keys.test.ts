import { compareIds } from '@taskvault/core/adapter';
import { describe, expect, it } from 'vitest';
import { KeyLayout, lexMember } from '../src/index.js';
import { checkKeyPrefix, clusterSlot, compareLex, lowerBound, upperBound } from '../src/keys.js';

/** Byte order of UTF-8, which is how Redis orders members of equal score. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

describe('key layout', () => {
  it('clusterSlot is the slot Redis Cluster gives a key (CLUSTER KEYSLOT), hash tags included', () => {
    expect(clusterSlot('123456789')).toBe(12739);
    expect(clusterSlot('foo')).toBe(12182);
    expect(clusterSlot('{user1000}.following')).toBe(clusterSlot('user1000'));
    expect(clusterSlot('foo{}{bar}')).toBe(clusterSlot('foo{}{bar}'.replace(/x/, '')));
    expect(clusterSlot('{}x')).not.toBe(clusterSlot('x'));
  });

  it('lex members order by createdAt, then taskId in code point order, as bytes', () => {
    const times = [Date.UTC(0, 0, 1), -1, 0, 1, 1_700_000_000_000, Date.UTC(9999, 11, 31, 23, 59, 59, 999)];
    const ids = ['a', 'a:b', 'a{', 'b', 'é', '\uffff', '😀', 'z z', '{x}'];
    const pairs = times.flatMap((t) => ids.map((id) => ({ t, id })));
    const byModel = [...pairs].sort((x, y) => x.t - y.t || compareIds(x.id, y.id));
    const byLex = [...pairs].sort((x, y) => byteOrder(lexMember(x.t, x.id), lexMember(y.t, y.id)));
    expect(byLex).toEqual(byModel);
    // the client merges buckets with compareLex: the same order without encoding to bytes
    const byCompareLex = [...pairs].sort((x, y) => compareLex(lexMember(x.t, x.id), lexMember(y.t, y.id)));
    expect(byCompareLex).toEqual(byModel);
    for (const t of times) expect(lexMember(t, 'x')).toMatch(/^[0-9a-f]{13}x$/);
  });

  it('date bounds select strictly after and strictly before', () => {
    const at = 1_700_000_000_000;
    const lo = lowerBound(at).slice(1);
    const hi = upperBound(at + 2).slice(1);
    expect(lowerBound(null)).toBe('');
    expect(byteOrder(lexMember(at, 'zzz'), lo)).toBeLessThan(0);
    expect(byteOrder(lexMember(at + 1, ''), lo)).toBeGreaterThanOrEqual(0);
    expect(byteOrder(lexMember(at + 1, 'zzz'), hi)).toBeLessThan(0);
    expect(byteOrder(lexMember(at + 2, ''), hi)).toBeGreaterThanOrEqual(0);
  });

  it('hash tags encode the namespace, so braces and colons in it cannot break the tag', () => {
    const layout = new KeyLayout('taskvault', 'a}b{c:d', 1);
    const keys = layout.taskKeys('task{1}:x');
    const bucket = layout.bucketOf('task{1}:x');
    const tag = `taskvault:${Buffer.from('a}b{c:d').toString('base64url')}:0`;
    // the layout version follows the tag, so data of another layout is never read
    expect(bucket.prefix).toBe(`{${tag}}:v2:`);
    for (const key of keys) {
      // Redis hashes the text between the first { and the first } after it: the whole tag
      expect(key.slice(key.indexOf('{') + 1, key.indexOf('}'))).toBe(tag);
    }
    expect(keys[1]).toBe(`${bucket.prefix}t:task{1}:x`);
  });

  it('shards spread tasks over every bucket, and a task always maps to the same one', () => {
    const layout = new KeyLayout('taskvault', 'default', 8);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const b = layout.bucketOf(`task-${i}`);
      expect(layout.bucketOf(`task-${i}`)).toBe(b);
      seen.add(b.index);
    }
    expect(seen.size).toBe(8);
    expect(new KeyLayout('taskvault', 'default', 1).bucketOf('anything').index).toBe(0);
  });

  it('a key prefix with braces or spaces is CONFIG_INVALID', () => {
    expect(checkKeyPrefix('tv:app')).toBe('tv:app');
    for (const bad of ['', 'a{b', 'a}b', 'a b', 'x'.repeat(65), 3]) {
      expect(() => checkKeyPrefix(bad)).toThrowError(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });
});
