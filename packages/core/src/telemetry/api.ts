/**
 * The part of OpenTelemetry's API a store reports through, typed by shape so core needs no
 * dependency: `@opentelemetry/api` (an optional peer) or an SDK's providers fit these types.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

export type TelemetryAttributes = Record<string, string | number | boolean>;

/**
 * A tracer provider as a store uses it: an OpenTelemetry SDK's `BasicTracerProvider` or
 * `NodeTracerProvider`, or the API's global one. (Written out in full so it stands alone.)
 */
export interface TracerProviderLike {
  getTracer(
    name: string,
    version?: string,
  ): {
    startSpan(
      name: string,
      options?: { kind?: number; attributes?: Record<string, string | number | boolean> },
    ): {
      setAttribute(key: string, value: string | number | boolean): unknown;
      setStatus(status: { code: number; message?: string }): unknown;
      end(): void;
    };
  };
}

/** A meter provider as a store uses it: an OpenTelemetry SDK's `MeterProvider`, or the API's global one. */
export interface MeterProviderLike {
  getMeter(
    name: string,
    version?: string,
  ): {
    createHistogram(
      name: string,
      options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
    ): { record(value: number, attributes?: Record<string, string | number | boolean>): void };
    createCounter(
      name: string,
      options?: { description?: string; unit?: string },
    ): { add(value: number, attributes?: Record<string, string | number | boolean>): void };
    createObservableGauge(
      name: string,
      options?: { description?: string; unit?: string },
    ): {
      addCallback(
        callback: (result: {
          observe(value: number, attributes?: Record<string, string | number | boolean>): void;
        }) => void | Promise<void>,
      ): void;
      removeCallback(
        callback: (result: {
          observe(value: number, attributes?: Record<string, string | number | boolean>): void;
        }) => void | Promise<void>,
      ): void;
    };
  };
}

export type TracerLike = ReturnType<TracerProviderLike['getTracer']>;
export type SpanLike = ReturnType<TracerLike['startSpan']>;
export type MeterLike = ReturnType<MeterProviderLike['getMeter']>;
export type ObservableCallbackLike = Parameters<
  ReturnType<MeterLike['createObservableGauge']>['addCallback']
>[0];

/**
 * Where a store reports. Default (absent or `true`): the providers registered with
 * `@opentelemetry/api` when that package is installed, else nothing. `false`: nothing at all.
 * Providers given here are used instead of the global ones (tests, or a second pipeline).
 */
export type StoreTelemetryOption =
  | boolean
  | { tracerProvider?: TracerProviderLike; meterProvider?: MeterProviderLike };

/** The providers a store reports to, or null when it reports nowhere. */
export interface TelemetryProviders {
  tracerProvider: TracerProviderLike | null;
  meterProvider: MeterProviderLike | null;
}

/** What core calls of `@opentelemetry/api` itself. */
export interface OpenTelemetryApi {
  trace: {
    getTracerProvider(): TracerProviderLike;
    setSpan(context: unknown, span: SpanLike): unknown;
  };
  metrics: { getMeterProvider(): MeterProviderLike };
  context: { active(): unknown; with<T>(context: unknown, fn: () => T): T };
  ProxyTracerProvider: new () => { getDelegate(): TracerProviderLike };
  createNoopMeter(): MeterLike;
}

/**
 * Tells when reporting would reach no SDK, so a store skips it: the API's global tracer provider
 * is a proxy whose delegate stays the no-op one until an SDK registers (checked per call, since
 * that can happen later), and a meter taken before any SDK registered is the no-op meter for good.
 */
export interface NoopCheck {
  tracing(provider: TracerProviderLike): boolean;
  isNoopMeter(meter: MeterLike): boolean;
}

/** The check for `api`, or one that reports everything when the API is not loaded. */
export function noopCheck(api: OpenTelemetryApi | null): NoopCheck {
  if (api === null) return { tracing: () => true, isNoopMeter: () => false };
  const noopTracerProvider = new api.ProxyTracerProvider().getDelegate();
  const noopMeter = api.createNoopMeter();
  return {
    tracing: (provider) => {
      const proxy = provider as { getDelegate?: () => TracerProviderLike };
      return typeof proxy.getDelegate !== 'function' || proxy.getDelegate() !== noopTracerProvider;
    },
    isNoopMeter: (meter) => meter === noopMeter,
  };
}

let globalApi: OpenTelemetryApi | null | undefined;

/**
 * `@opentelemetry/api` as installed beside core or in the application, loaded once; null when it
 * is not installed (then a store reports nothing and costs nothing for it).
 */
export function openTelemetryApi(): OpenTelemetryApi | null {
  if (globalApi !== undefined) return globalApi;
  globalApi = null;
  for (const base of [import.meta.url, join(process.cwd(), 'noop.js')]) {
    try {
      globalApi = createRequire(base)('@opentelemetry/api') as OpenTelemetryApi;
      break;
    } catch {
      // not installed here: try the application's directory, then give up quietly
    }
  }
  return globalApi;
}

/** Resolves a store's `telemetry` option to the providers it reports to. */
export function telemetryProviders(option: StoreTelemetryOption | undefined): TelemetryProviders | null {
  if (option === false) return null;
  if (option === undefined || option === true) {
    const api = openTelemetryApi();
    if (api === null) return null;
    // Metrics have no proxy provider: instruments made before an SDK registers stay no-ops, so
    // the OpenTelemetry guidance holds — start the SDK before creating stores.
    return { tracerProvider: api.trace.getTracerProvider(), meterProvider: api.metrics.getMeterProvider() };
  }
  if (typeof option !== 'object' || option === null) return null;
  const tracerProvider = option.tracerProvider ?? null;
  const meterProvider = option.meterProvider ?? null;
  return tracerProvider === null && meterProvider === null ? null : { tracerProvider, meterProvider };
}
