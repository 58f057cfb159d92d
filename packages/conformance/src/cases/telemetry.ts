/**
 * Observability: every operation reports a span `taskvault.<operation>` and a duration with its
 * outcome (`ok` or the error code); conflicts, quarantined records and swept tasks are counted;
 * a gauge reports the namespace's active tasks. Checked with the OpenTelemetry SDK's in-memory
 * exporters on a scripted sequence that includes failures.
 */
import { TaskLoadError, TaskUpdateError } from '@taskvault/core';
import { expect, it } from 'vitest';
import { expectTaskError } from '../expect-error.js';
import { newTask } from '../fixtures.js';
import type { Harness, Scenario } from '../harness.js';
import type { StoreFactoryOptions } from '../options.js';
import { TelemetrySink } from '../telemetry-sdk.js';

/** A store reporting to `sink`, on a namespace the test knows (the interface does not expose it). */
async function observedStore(h: Harness, sink: TelemetrySink, extra: Partial<StoreFactoryOptions> = {}) {
  const namespace = h.namespace();
  const store = await h.store({
    ...extra,
    namespace,
    telemetry: { tracerProvider: sink.tracerProvider, meterProvider: sink.meterProvider },
  });
  return { store, namespace };
}

/** Runs `body` with a fresh sink, shut down afterwards whatever happens. */
async function withSink(body: (sink: TelemetrySink) => Promise<void>): Promise<void> {
  const sink = new TelemetrySink();
  try {
    await body(sink);
  } finally {
    await sink.shutdown();
  }
}

/** The cases that count a backend's spans and durations call by call. */
function perCallCases(scenario: Scenario): void {
  scenario(
    'a span per operation, named taskvault.<operation>, with backend, namespace and outcome',
    async (h) =>
      withSink(async (sink) => {
        const { store, namespace } = await observedStore(h, sink);
        const created = await store.create(newTask());
        await store.load(created.taskId);
        await store.update({ ...created, status: 'running' });
        await expectTaskError(store.update({ ...created, status: 'completed' }), {
          type: TaskUpdateError,
          code: 'VERSION_CONFLICT',
        });
        await expectTaskError(store.load(''), { type: TaskLoadError, code: 'INVALID_INPUT' });
        await store.list({ status: 'running' });
        await store.countActive();

        const seen = sink.spans().map((s) => [s.name, s.attributes['taskvault.outcome']]);
        expect(seen).toEqual([
          ['taskvault.create', 'ok'],
          ['taskvault.load', 'ok'],
          ['taskvault.update', 'ok'],
          ['taskvault.update', 'VERSION_CONFLICT'],
          ['taskvault.load', 'INVALID_INPUT'],
          ['taskvault.list', 'ok'],
          ['taskvault.countActive', 'ok'],
        ]);
        for (const span of sink.spans()) {
          expect(span.attributes['taskvault.backend']).toBe(store.backend);
          expect(span.attributes['taskvault.namespace']).toBe(namespace);
          expect(span.attributes['db.operation.name']).toBe(span.name.slice('taskvault.'.length));
          const failed = span.attributes['taskvault.outcome'] !== 'ok';
          expect(span.status.code, span.name).toBe(failed ? 2 : 0);
          expect(span.attributes['error.type']).toBe(
            failed ? span.attributes['taskvault.outcome'] : undefined,
          );
          expect(span.endTime[0] * 1e9 + span.endTime[1]).toBeGreaterThanOrEqual(
            span.startTime[0] * 1e9 + span.startTime[1],
          );
        }
      }),
  );

  scenario('the duration histogram counts each call by operation and outcome', async (h) =>
    withSink(async (sink) => {
      const { store } = await observedStore(h, sink);
      const task = await store.create(newTask());
      for (let i = 0; i < 3; i++) await store.load(task.taskId);
      await expectTaskError(store.update({ ...task, version: task.version + 5 }), {
        type: TaskUpdateError,
        code: 'VERSION_CONFLICT',
      });
      const name = 'taskvault.operation.duration';
      const by = (operation: string, outcome: string) =>
        sink.total(name, {
          'taskvault.backend': store.backend,
          'taskvault.operation': operation,
          'taskvault.outcome': outcome,
        });
      expect(await by('create', 'ok')).toBe(1);
      expect(await by('load', 'ok')).toBe(3);
      expect(await by('update', 'VERSION_CONFLICT')).toBe(1);
      expect(await by('update', 'ok')).toBe(0);
    }),
  );
}

/** Why the per-call cases do not apply to a store that serves reads from a cache. */
const CACHED_READS =
  'not checked: this store serves reads from a cache (cachedReads); a read served from memory reaches no backend';

export function telemetryCases(scenario: Scenario, cachedReads = false): void {
  if (cachedReads) {
    it.skip(`a span per operation — ${CACHED_READS}`, () => {});
    it.skip(`the duration histogram counts each call — ${CACHED_READS}`, () => {});
  } else perCallCases(scenario);
  scenario('conflicts and swept tasks are counted per namespace', async (h) =>
    withSink(async (sink) => {
      const { store, namespace } = await observedStore(h, sink);
      const labels = { 'taskvault.backend': store.backend, 'taskvault.namespace': namespace };
      const task = await store.create(newTask());
      await store.create(newTask({ taskId: task.taskId })).catch(() => undefined);
      await store.update({ ...task, version: 99 }).catch(() => undefined);
      expect(await sink.total('taskvault.conflicts', labels)).toBe(2);
      expect(await sink.total('taskvault.conflicts', { ...labels, 'error.type': 'TASK_EXISTS' })).toBe(1);

      for (let i = 0; i < 3; i++) await store.create(newTask({ status: 'completed' }));
      const removed = await store.cleanup({ olderThan: new Date(Date.now() + 1000) });
      expect(removed).toBe(3);
      expect(await sink.total('taskvault.tasks.swept', labels)).toBe(3);
    }),
  );

  scenario('the active-task gauge reports the namespace’s pending, running and paused tasks', async (h) =>
    withSink(async (sink) => {
      const { store, namespace } = await observedStore(h, sink);
      await store.create(newTask({ status: 'running' }));
      await store.create(newTask({ status: 'paused' }));
      await store.create(newTask({ status: 'completed' }));
      const gauge = await sink.points('taskvault.tasks.active');
      const mine = gauge.filter((p) => p.attributes['taskvault.namespace'] === namespace);
      expect(mine).toEqual([
        {
          attributes: { 'taskvault.backend': store.backend, 'taskvault.namespace': namespace },
          value: 2,
        },
      ]);
    }),
  );
}

/** Needs the suite's `damage` option. */
export function telemetryCorruptCases(scenario: Scenario): void {
  scenario('a record moved aside is counted as quarantined', async (h) =>
    withSink(async (sink) => {
      const { store, namespace } = await observedStore(h, sink, { onCorrupt: () => undefined });
      const task = await store.create(newTask());
      await h.damage(store, task.taskId);
      await expectTaskError(store.load(task.taskId), { type: TaskLoadError, code: 'CORRUPT_DATA' });
      const labels = { 'taskvault.backend': store.backend, 'taskvault.namespace': namespace };
      expect(await sink.total('taskvault.records.quarantined', labels)).toBe(1);
      const span = sink.spans().find((s) => s.attributes['taskvault.outcome'] === 'CORRUPT_DATA');
      expect(span?.name).toBe('taskvault.load');
    }),
  );
}
