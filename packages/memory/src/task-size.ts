/**
 * Serialized size of stored values, counted the way core's validation counts it
 * (`copyJsonValue`), so the size of a patched task can be worked out from the stored size
 * without re-measuring the whole task: old size, plus what the patch adds, minus the data
 * values it replaces.
 */
import { type JsonObject, type JsonValue, type TaskItem, utf8Length } from '@taskvault/core';

/** What core's validation adds per item on top of its content. */
const ITEM_OVERHEAD = 96;

/** Size of a JSON value as core's `copyJsonValue` counts it. */
export function jsonBytes(value: JsonValue): number {
  switch (typeof value) {
    case 'string':
      return utf8Length(value) + 2;
    case 'number':
      return 8;
    case 'boolean':
      return 5;
  }
  if (value === null) return 4;
  if (Array.isArray(value)) {
    let n = 2;
    for (const child of value) n += jsonBytes(child) + 1;
    return n;
  }
  return objectBytes(value);
}

function objectBytes(value: JsonObject): number {
  let n = 2;
  for (const key of Object.keys(value)) n += jsonBytes(value[key]!) + utf8Length(key) + 4;
  return n;
}

/** Size of appended items as core counts them. */
export function itemsBytes(items: readonly TaskItem[]): number {
  let n = 0;
  for (const item of items) n += jsonBytes(item.content) + ITEM_OVERHEAD;
  return n;
}

/**
 * Size change of `data` when `changes` is merged into it shallowly: each changed key's new
 * entry replaces the old one.
 */
export function mergedDataDelta(data: JsonObject, changes: JsonObject): number {
  let delta = 0;
  for (const key of Object.keys(changes)) {
    const keyBytes = utf8Length(key) + 4;
    delta += jsonBytes(changes[key]!) + keyBytes;
    if (Object.hasOwn(data, key)) delta -= jsonBytes(data[key]!) + keyBytes;
  }
  return delta;
}
