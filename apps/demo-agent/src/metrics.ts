/**
 * The demo's `/metrics`: an OpenTelemetry meter provider read by the Prometheus exporter, made
 * the global one before the store is opened, so the store's instruments report into it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/** A running metrics pipeline: the scrape handler and how to stop it. */
export interface Metrics {
  /** Answers a Prometheus scrape (text exposition format). */
  handle(request: IncomingMessage, response: ServerResponse): void;
  shutdown(): Promise<void>;
}

/** Registers the global meter provider; call it before creating stores. */
export function startMetrics(): Metrics {
  // The exporter serves through our HTTP server's /metrics, not a port of its own.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  return {
    handle: (request, response) => exporter.getMetricsRequestHandler(request, response),
    shutdown: () => provider.shutdown(),
  };
}
