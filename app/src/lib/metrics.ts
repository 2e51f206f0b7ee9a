// Every metric the app exports, in one registry per service instance. Dashboards and alert
// rules in infra/ are checked against this list, so a renamed metric breaks a test there.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export function createMetrics(labels: { cell_id: string; device: string; role: string }) {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  // The event-loop delay histogram samples with a timer: prom-client's default of 10 ms woke an
  // idle service 100 times a second (13 ms of CPU a second here, 4 at 100 ms; a phone never
  // sleeps deeply). Every 100 ms still catches each stall of 100 ms or more.
  collectDefaultMetrics({ register: registry, prefix: "aios_", eventLoopMonitoringPrecision: 100 });
  const registers = [registry];
  return {
    registry,
    /** Run before each scrape, to refresh gauges that depend on time (peers up, levels). */
    beforeScrape: [] as (() => void)[],
    info: new Gauge({ name: "aios_info", help: "Always 1; labels carry the app version", labelNames: ["version"], registers }),
    httpRequests: new Counter({
      name: "aios_http_requests_total",
      help: "HTTP requests answered, by route and status code",
      labelNames: ["method", "route", "status_code"],
      registers,
    }),
    httpDuration: new Histogram({
      name: "aios_http_request_duration_seconds",
      help: "HTTP request latency",
      labelNames: ["method", "route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    level: new Gauge({ name: "aios_consciousness_level", help: "This cell's consciousness level (0-10)", registers }),
    peersUp: new Gauge({ name: "aios_peers_up", help: "Other cells currently up in this member's view", registers }),
    peersKnown: new Gauge({ name: "aios_peers_known", help: "Other cells known to this member, up or down", registers }),
    coherence: new Gauge({ name: "aios_network_coherence", help: "Coherence of the levels of the cells up (0-1)", registers }),
    busConnected: new Gauge({ name: "aios_bus_connected", help: "1 while connected to the NATS bus", registers }),
    busDenied: new Counter({
      name: "aios_bus_denied_total",
      help: "Publishes and subscriptions the bus refused this member (its subject permissions)",
      labelNames: ["operation"] as const,
      registers,
    }),
    busRejected: new Counter({
      name: "aios_bus_rejected_total",
      help: "Payloads this member received and refused: unsigned, or not signed by a member who may send them",
      labelNames: ["channel"] as const,
      registers,
    }),
    messagesSent: new Counter({ name: "aios_messages_sent_total", help: "Messages accepted for sending (202)", registers }),
    messagesPublished: new Counter({ name: "aios_messages_published_total", help: "Messages stored on the bus", registers }),
    messagesReceived: new Counter({ name: "aios_messages_received_total", help: "Messages stored in this cell's inbox", registers }),
    messagesDuplicate: new Counter({
      name: "aios_messages_duplicate_total",
      help: "Redelivered messages dropped by id",
      registers,
    }),
    outboxPending: new Gauge({
      name: "aios_outbox_pending",
      help: "Accepted messages waiting for the bus (the message backlog)",
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
