/**
 * @taskvault/conformance: the behaviour every TaskStore must show, as a vitest suite. Each
 * bundled backend runs it; so can yours:
 *
 * ```ts
 * import { describeTaskStore } from '@taskvault/conformance';
 * describeTaskStore({ name: 'my-store', create: (o) => new MyTaskStore(o) });
 * ```
 */
import { describe, it } from 'vitest';
import { changeCases } from './cases/changes.js';
import { cleanupCases } from './cases/cleanup.js';
import { concurrencyCases } from './cases/concurrency.js';
import { corruptCases } from './cases/corrupt.js';
import { countingCases } from './cases/counting.js';
import { crudCases } from './cases/crud.js';
import { lifecycleCases } from './cases/lifecycle.js';
import { limitCases } from './cases/limits.js';
import { listingCases } from './cases/listing.js';
import { namespaceCases } from './cases/namespaces.js';
import { rejectionCases } from './cases/rejections.js';
import { requestIndexCases } from './cases/request-index.js';
import { restoreCases } from './cases/restore.js';
import { retentionCases } from './cases/retention.js';
import { roundTripCases } from './cases/round-trip.js';
import { telemetryCases, telemetryCorruptCases } from './cases/telemetry.js';
import { ttlCases } from './cases/ttl.js';
import { verifyCases, verifyCorruptCases } from './cases/verify.js';
import { versionCases } from './cases/versions.js';
import { type Scenario, scenarioFor } from './harness.js';
import { type DescribeTaskStoreOptions, type SuiteOptions, withDefaults } from './options.js';

export { type ExpectedError, expectTaskError } from './expect-error.js';
export { instants, item, newTask, sleep, uniqueId } from './fixtures.js';
export { Harness } from './harness.js';
export type { DescribeTaskStoreOptions, StoreFactoryOptions, SuiteOptions } from './options.js';
export { type Point, TelemetrySink } from './telemetry-sdk.js';

/** The behaviour families, in the order they are declared. */
const FAMILIES: [string, (scenario: Scenario, options: SuiteOptions) => void][] = [
  ['create, load, update, patch, delete', crudCases],
  ['versions', versionCases],
  ['concurrency', concurrencyCases],
  ['request-id index', requestIndexCases],
  ['listing', listingCases],
  ['counting', countingCases],
  ['cleanup', cleanupCases],
  ['expiry', ttlCases],
  ['retention', (scenario, options) => retentionCases(scenario, options.sharedNamespaces)],
  ['namespaces', namespaceCases],
  ['rejections', rejectionCases],
  ['limits', limitCases],
  ['verify', verifyCases],
  ['restore', restoreCases],
  ['round trip', roundTripCases],
  ['telemetry', (scenario, options) => telemetryCases(scenario, options.cachedReads)],
  ['changes', (scenario, options) => changeCases(scenario, options.sharedNamespaces)],
  ['lifecycle', lifecycleCases],
];

/** Families whose cases spend their time waiting: for expiry or retention to pass, for changes to arrive. */
const WAITING_FAMILIES = new Set(['expiry', 'retention', 'changes']);

/**
 * Declares the conformance suite for one store (call it at the top level of a vitest test file).
 * Every test makes its stores through `options.create` on namespaces no other test uses, and
 * throws them away when it ends, so the suite can run against a shared server and in parallel
 * with itself. Nothing is skipped: a test that cannot pass for a backend fails.
 */
export function describeTaskStore(options: DescribeTaskStoreOptions): void {
  const resolved = withDefaults(options);
  const scenario = scenarioFor(resolved);
  describe(`TaskStore conformance: ${options.name}`, () => {
    for (const [family, declare] of FAMILIES) {
      // The families that mostly wait for a clock (expiry, retention) run their cases side by
      // side: each case has its own namespaces, and waiting in turn cost ~20 s per backend.
      const declareFamily = WAITING_FAMILIES.has(family) ? describe.concurrent : describe;
      declareFamily(family, () => declare(scenario, resolved));
    }
    describe('corrupt records', () => {
      if (options.damage) {
        corruptCases(scenario);
        verifyCorruptCases(scenario);
        telemetryCorruptCases(scenario);
      } else {
        it.skip('not checked: this suite was declared without a damage() option', () => {});
      }
    });
  });
}
