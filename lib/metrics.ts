import { Registry, collectDefaultMetrics } from "prom-client";

/** The process-wide Prometheus registry every service exports on `GET /metrics`. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });
