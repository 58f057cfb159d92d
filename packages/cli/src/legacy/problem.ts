/** A source record that cannot become a task, and the field at fault (`status`, `items[2].updated`). */
export class LegacyProblem extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}
