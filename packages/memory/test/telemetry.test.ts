/**
 * Telemetry beyond the conformance family: the process-wide providers of `@opentelemetry/api`
 * as the default, `telemetry: false`, a bad option, and the BACKEND_UNAVAILABLE counter and
 * health outcome (a memory store that cannot reach its "server", scripted by overriding hooks).
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TelemetrySink } from '@taskvault/conformance';
import { isTaskStoreError } from '@taskvault/core';
import { taskStoreError } from '@taskvault/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTaskStore } from '../src/index.js';

const sink = new TelemetrySink();
const spans = { reset: () => sink.resetSpans(), getFinishedSpans: () => sink.spans() };

/** A memory store whose reads and pings fail as an unreachable server's would. */
class UnreachableStore extends MemoryTaskStore {
  protected override async readTask(): Promise<never> {
    throw taskStoreError('load', 'BACKEND_UNAVAILABLE', { backend: 'memory', detail: 'scripted outage' });
  }
  protected override async ping(): Promise<void> {
    throw taskStoreError('healthCheck', 'BACKEND_UNAVAILABLE', {
      backend: 'memory',
      detail: 'scripted outage',
    });
  }
}

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(sink.tracerProvider);
  metrics.setGlobalMeterProvider(sink.meterProvider);
});

afterAll(async () => {
  trace.disable();
  metrics.disable();
  context.disable();
  await sink.shutdown();
});

describe('telemetry through @opentelemetry/api', () => {
  it('reports to the registered providers by default', async () => {
    spans.reset();
    const store = new MemoryTaskStore({ namespace: 'otel-global' });
    const task = await store.create({ taskId: 't1', status: 'pending', items: [] });
    await store.load(task.taskId);
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['taskvault.create', 'taskvault.load']);
    expect(spans.getFinishedSpans()[0]!.attributes['taskvault.namespace']).toBe('otel-global');
    expect(spans.getFinishedSpans()[0]!.attributes['db.system.name']).toBeUndefined();
    await store.close();
  });

  it('nests the store’s span under the caller’s active span', async () => {
    spans.reset();
    const store = new MemoryTaskStore({ namespace: 'otel-nested' });
    const tracer = trace.getTracer('app');
    await tracer.startActiveSpan('handle request', async (parent) => {
      await store.load('missing');
      parent.end();
    });
    const [child, parent] = spans.getFinishedSpans();
    expect(child!.name).toBe('taskvault.load');
    expect(child!.parentSpanContext?.spanId).toBe(parent!.spanContext().spanId);
    await store.close();
  });

  it('telemetry: false reports nothing and leaves the methods as they are', async () => {
    spans.reset();
    const store = new MemoryTaskStore({ namespace: 'otel-off', telemetry: false });
    await store.create({ taskId: 't1', status: 'pending', items: [] });
    expect(spans.getFinishedSpans()).toEqual([]);
    expect(Object.hasOwn(store, 'create')).toBe(false);
    expect(Object.hasOwn(new MemoryTaskStore({ namespace: 'otel-on' }), 'create')).toBe(true);
    await store.close();
  });

  it('rejects a telemetry option of the wrong kind with CONFIG_INVALID naming it', () => {
    let error: unknown;
    try {
      new MemoryTaskStore({ telemetry: 'yes' as never });
    } catch (e) {
      error = e;
    }
    expect(isTaskStoreError(error, 'CONFIG_INVALID')).toBe(true);
    expect(String((error as Error).message)).toMatch(/^telemetry: /);
  });

  it('counts BACKEND_UNAVAILABLE and reports an unhealthy health check as its code', async () => {
    spans.reset();
    const store = new UnreachableStore({ namespace: 'otel-down' });
    await expect(store.load('t1')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    expect((await store.healthCheck()).ok).toBe(false);
    const outcomes = spans.getFinishedSpans().map((s) => [s.name, s.attributes['taskvault.outcome']]);
    expect(outcomes).toEqual([
      ['taskvault.load', 'BACKEND_UNAVAILABLE'],
      ['taskvault.healthCheck', 'BACKEND_UNAVAILABLE'],
    ]);
    const labels = { 'taskvault.backend': 'memory', 'taskvault.namespace': 'otel-down' };
    expect(await sink.total('taskvault.unavailable', labels)).toBe(2);
    await store.close();
  });
});
