/**
 * The spans, histogram, counters and gauge one store reports, per SPEC "Observability". Built
 * only when a store has somewhere to report; a store without telemetry never reaches this file.
 */
import { isTaskStoreError } from '../errors.js';
import {
  type MeterProviderLike,
  type NoopCheck,
  noopCheck,
  type ObservableCallbackLike,
  type OpenTelemetryApi,
  openTelemetryApi,
  type SpanLike,
  type TelemetryAttributes,
  type TelemetryProviders,
  type TracerLike,
  type TracerProviderLike,
} from './api.js';

/** OpenTelemetry's SpanKind.CLIENT and SpanStatusCode.ERROR (stable values of the API). */
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;
const SCOPE = '@taskvault/core';
/** How long an active-task count stays good for the gauge: collections in between reuse it. */
const ACTIVE_SAMPLE_MS = 5_000;

/** Histogram bucket bounds in seconds: from an in-memory call to a command timeout. */
const DURATION_BUCKETS_S = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** `db.system.name` of the backends that have a semantic-convention name. */
const DB_SYSTEM: Readonly<Record<string, string>> = {
  redis: 'redis',
  postgres: 'postgresql',
  sqlite: 'sqlite',
};

type Counter = { add(value: number, attributes?: TelemetryAttributes): void };

interface MeterInstruments {
  duration: { record(value: number, attributes?: TelemetryAttributes): void };
  conflicts: Counter;
  unavailable: Counter;
  quarantined: Counter;
  swept: Counter;
  active: {
    addCallback(callback: ObservableCallbackLike): void;
    removeCallback(callback: ObservableCallbackLike): void;
  };
}

/** One set of instruments per meter provider, however many stores report to it; null: no-op. */
const byMeterProvider = new WeakMap<MeterProviderLike, MeterInstruments | null>();

function meterInstruments(provider: MeterProviderLike, check: NoopCheck): MeterInstruments | null {
  let found = byMeterProvider.get(provider);
  if (found !== undefined) return found;
  const meter = provider.getMeter(SCOPE);
  if (check.isNoopMeter(meter)) {
    byMeterProvider.set(provider, null);
    return null;
  }
  found = {
    duration: meter.createHistogram('taskvault.operation.duration', {
      description: 'Duration of a taskvault store operation, from call to settle',
      unit: 's',
      // The SDK's default buckets (0 to 10,000) suit milliseconds; store calls take 0.1 ms to seconds.
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    }),
    conflicts: meter.createCounter('taskvault.conflicts', {
      description: 'Writes refused with VERSION_CONFLICT or TASK_EXISTS',
      unit: '{error}',
    }),
    unavailable: meter.createCounter('taskvault.unavailable', {
      description: 'Operations that failed with BACKEND_UNAVAILABLE',
      unit: '{error}',
    }),
    quarantined: meter.createCounter('taskvault.records.quarantined', {
      description: 'Stored records moved aside because they could not be read',
      unit: '{record}',
    }),
    swept: meter.createCounter('taskvault.tasks.swept', {
      description: 'Tasks removed by cleanup and retention sweeps',
      unit: '{task}',
    }),
    active: meter.createObservableGauge('taskvault.tasks.active', {
      description: 'Pending, running and paused tasks of a namespace (sampled)',
      unit: '{task}',
    }),
  };
  byMeterProvider.set(provider, found);
  return found;
}

/** The outcome attribute of a settled call: `ok`, or the error's code. */
function outcomeOf(error: unknown): string {
  return isTaskStoreError(error) ? error.code : 'UNKNOWN';
}

/** The store as its instruments see it. */
export interface ObservedStore {
  readonly backend: string;
  readonly namespace: string;
}

/** A health check resolves even when the backend is down: its detail starts with the code. */
function unhealthyCode(operation: string, value: unknown): string | null {
  if (operation !== 'healthCheck') return null;
  const health = value as { ok?: boolean; detail?: string } | null;
  if (health?.ok !== false) return null;
  const code = /^([A-Z_]+):/.exec(health.detail ?? '')?.[1];
  return code ?? 'BACKEND_UNAVAILABLE';
}

/** What one store reports, with its backend and namespace on every record. */
export class StoreInstruments {
  readonly #tracer: TracerLike | null;
  readonly #tracerProvider: TracerProviderLike | null;
  readonly #check: NoopCheck;
  readonly #spanAttributeCache = new Map<string, TelemetryAttributes>();
  readonly #meter: MeterInstruments | null;
  readonly #api: OpenTelemetryApi | null;
  readonly #store: ObservedStore;
  readonly #countActive: () => Promise<number>;
  #labels: TelemetryAttributes | null = null;
  #gauge: ObservableCallbackLike | null = null;
  #closed = false;
  #sample: { value: number; at: number } | null = null;

  /**
   * `store` is read on first use, not here: a store builds its instruments in the base
   * constructor, before the backend's own constructor has set `backend`.
   */
  constructor(providers: TelemetryProviders, store: ObservedStore, countActive: () => Promise<number>) {
    this.#api = openTelemetryApi();
    this.#check = noopCheck(this.#api);
    this.#tracerProvider = providers.tracerProvider;
    this.#tracer = providers.tracerProvider?.getTracer(SCOPE) ?? null;
    this.#meter =
      providers.meterProvider === null ? null : meterInstruments(providers.meterProvider, this.#check);
    this.#store = store;
    this.#countActive = countActive;
  }

  /** False while reporting would reach nothing (the API installed, no SDK registered). */
  reporting(): boolean {
    return this.#meter !== null || this.#tracing();
  }

  #tracing(): boolean {
    return this.#tracerProvider !== null && this.#check.tracing(this.#tracerProvider);
  }

  /**
   * Runs `call` inside a span and times it; the result or rejection passes through untouched.
   * Callers ask {@link reporting} first and make the plain call when it is false.
   */
  observe<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const tracing = this.#tracing();
    // The gauge starts with the first call, so a store whose constructor failed never reports.
    if (this.#gauge === null && this.#meter !== null && !this.#closed) {
      this.#gauge = (result) => this.#observeActive(result);
      this.#meter.active.addCallback(this.#gauge);
    }
    const span = tracing
      ? this.#tracer?.startSpan(`taskvault.${operation}`, {
          kind: SPAN_KIND_CLIENT,
          attributes: this.#spanAttributes(operation),
        })
      : undefined;
    const started = performance.now();
    let pending: Promise<T>;
    try {
      pending =
        span !== undefined && this.#api !== null
          ? this.#api.context.with(this.#api.trace.setSpan(this.#api.context.active(), span), call)
          : call();
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (value) => {
        this.#settled(operation, span, started, null, unhealthyCode(operation, value));
        if (operation === 'cleanup' && typeof value === 'number') this.swept(value);
        return value;
      },
      (error: unknown) => {
        this.#settled(operation, span, started, error, null);
        throw error;
      },
    );
  }

  /** Counts a record the store moved aside. */
  quarantined(operation: string): void {
    this.#meter?.quarantined.add(1, { ...this.#labelSet, 'taskvault.operation': operation });
  }

  /** Counts tasks a cleanup or a sweep removed. */
  swept(removed: number): void {
    if (removed > 0) this.#meter?.swept.add(removed, this.#labelSet);
  }

  /** Stops the gauge asking this store; called when the store closes. */
  close(): void {
    this.#closed = true;
    if (this.#gauge !== null) this.#meter?.active.removeCallback(this.#gauge);
    this.#gauge = null;
  }

  /** Backend and namespace, the labels of every record. */
  get #labelSet(): TelemetryAttributes {
    this.#labels ??= {
      'taskvault.backend': this.#store.backend,
      'taskvault.namespace': this.#store.namespace,
    };
    return this.#labels;
  }

  /** The same attributes every time for an operation, built once (SDK spans copy them). */
  #spanAttributes(operation: string): TelemetryAttributes {
    let attributes = this.#spanAttributeCache.get(operation);
    if (attributes !== undefined) return attributes;
    attributes = { ...this.#labelSet, 'db.operation.name': operation };
    const system = DB_SYSTEM[this.#store.backend];
    if (system !== undefined) attributes['db.system.name'] = system;
    this.#spanAttributeCache.set(operation, attributes);
    return attributes;
  }

  #settled(
    operation: string,
    span: SpanLike | undefined,
    started: number,
    error: unknown,
    unhealthy: string | null,
  ): void {
    const outcome = error !== null ? outcomeOf(error) : (unhealthy ?? 'ok');
    if (span !== undefined) {
      span.setAttribute('taskvault.outcome', outcome);
      if (outcome !== 'ok') {
        span.setAttribute('error.type', outcome);
        span.setStatus({ code: STATUS_ERROR, message: outcome });
      }
      span.end();
    }
    const meter = this.#meter;
    if (meter === null) return;
    const attributes = {
      'taskvault.backend': this.#store.backend,
      'taskvault.operation': operation,
      'taskvault.outcome': outcome,
    };
    meter.duration.record((performance.now() - started) / 1000, attributes);
    if (outcome === 'VERSION_CONFLICT' || outcome === 'TASK_EXISTS') {
      meter.conflicts.add(1, { ...this.#labelSet, 'taskvault.operation': operation, 'error.type': outcome });
    } else if (outcome === 'BACKEND_UNAVAILABLE') {
      meter.unavailable.add(1, { ...this.#labelSet, 'taskvault.operation': operation });
    }
  }

  /** The gauge's reading: a recent sample, or one `countActive` (an index read, never a scan). */
  async #observeActive(result: {
    observe(value: number, attributes?: TelemetryAttributes): void;
  }): Promise<void> {
    const now = Date.now();
    if (this.#sample === null || now - this.#sample.at >= ACTIVE_SAMPLE_MS) {
      try {
        this.#sample = { value: await this.#countActive(), at: now };
      } catch {
        // Unreachable backend or a closed store: report nothing rather than a stale figure.
        this.#sample = null;
        return;
      }
    }
    result.observe(this.#sample.value, this.#labelSet);
  }
}
