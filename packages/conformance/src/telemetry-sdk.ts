/**
 * A private OpenTelemetry SDK pipeline per test: a tracer provider writing to an in-memory span
 * exporter and a meter provider read on demand by an in-memory metric exporter. Given to a store
 * through its `telemetry` option, so tests never touch the process-wide providers.
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** One data point as the tests read it: its attributes and its value (sum, count or gauge). */
export interface Point {
  attributes: Record<string, unknown>;
  value: number;
}

/**
 * Spans and metrics a store reported, for assertions: pass `tracerProvider` and `meterProvider`
 * in the store's `telemetry` option (or register them globally), then read `spans()` and
 * `total(name, attributes)`.
 */
export class TelemetrySink {
  readonly #spans = new InMemorySpanExporter();
  readonly #metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  readonly #reader = new PeriodicExportingMetricReader({
    exporter: this.#metrics,
    exportIntervalMillis: 3_600_000,
  });
  readonly tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(this.#spans)],
  });
  readonly meterProvider = new MeterProvider({ readers: [this.#reader] });

  /** Forgets the spans ended so far. */
  resetSpans(): void {
    this.#spans.reset();
  }

  /** Ended spans so far, oldest first. */
  spans(): ReadableSpan[] {
    return this.#spans.getFinishedSpans();
  }

  /** The newest collection's points of `name` (histograms give their count). */
  async points(name: string): Promise<Point[]> {
    this.#metrics.reset();
    await this.#reader.forceFlush();
    const points: Point[] = [];
    for (const resource of this.#metrics.getMetrics()) {
      for (const scope of resource.scopeMetrics) {
        for (const metric of scope.metrics) {
          if (metric.descriptor.name !== name) continue;
          for (const p of metric.dataPoints) {
            const v = p.value as number | { count: number };
            points.push({ attributes: p.attributes, value: typeof v === 'number' ? v : v.count });
          }
        }
      }
    }
    return points;
  }

  /** Sum of the points of `name` whose attributes include `match`. */
  async total(name: string, match: Record<string, unknown> = {}): Promise<number> {
    const points = await this.points(name);
    return points
      .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
      .reduce((sum, p) => sum + p.value, 0);
  }

  async shutdown(): Promise<void> {
    await this.tracerProvider.shutdown();
    await this.meterProvider.shutdown();
  }
}
