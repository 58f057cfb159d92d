/** The own-property test of the for-in loops that walk JSON objects on every write. */

/**
 * `Object.prototype.hasOwnProperty`, for the own-property test of a for-in loop over the same
 * object: V8 answers that test from the loop's enum cache without a lookup, which it does not do
 * for `Object.hasOwn` (measured: a copy of a 2 KB task's data ~30% faster). Same answer.
 */
export function hasOwnKey(obj: object, key: string): boolean {
  // biome-ignore lint/suspicious/noPrototypeBuiltins: the form V8 optimizes inside for-in (see above)
  return Object.prototype.hasOwnProperty.call(obj, key);
}
