import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { log } from '../core/log.js';

/**
 * Prometheus metrics of one hub process (docs/operations.md), rendered at
 * `/metrics`. Every process counts only what it served: Prometheus scrapes
 * each process and sums. Queue depths are read from the database on scrape,
 * so they describe the whole hub and every process reports the same value
 * (aggregate them with `max`, not `sum`).
 */

/** How long a request took; the upper buckets are for large downloads and uploads. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];

/** Why an upload failed: the client's request was refused (4xx), the hub failed (5xx), or the connection broke. */
export type UploadFailureReason = 'client' | 'server' | 'aborted';

/** The number of waiting items of a queue; may query the database. */
export type QueueDepth = () => Promise<number>;

// Process-wide metrics (CPU, memory, event loop, GC) are collected once per
// process, whatever the number of hubs in it (tests start many).
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class HubMetrics {
  readonly registry = new Registry();
  private readonly queues = new Map<string, QueueDepth>();
  private readonly failedQueues = new Set<string>();

  readonly requests = new Counter({
    name: 'orchard_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status (499: the client went away before the answer)',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly duration = new Histogram({
    name: 'orchard_http_request_duration_seconds',
    help: 'Time from the request to the end of its answer, by route template',
    labelNames: ['route'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly inFlight = new Gauge({
    name: 'orchard_http_requests_in_flight',
    help: 'Requests being answered now',
    registers: [this.registry],
  });

  readonly bytesServed = new Counter({
    name: 'orchard_bytes_served_total',
    help: 'Response body bytes written, by route template',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  readonly uploadFailures = new Counter({
    name: 'orchard_upload_failures_total',
    help: 'Failed commits, LFS uploads and pushes, by kind and reason (client: refused with 4xx; server: 5xx; aborted: the connection broke)',
    labelNames: ['kind', 'reason'] as const,
    registers: [this.registry],
  });

  constructor() {
    // Now rather than at the first scrape: the CPU counters count from the moment they are set up.
    processMetrics();
    const queues = this.queues;
    const failed = this.failedQueues;
    new Gauge({
      name: 'orchard_queue_depth',
      help: 'Items waiting in a background queue of the hub (read from the database on scrape: the same for every process)',
      labelNames: ['queue'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        await Promise.all(
          [...queues].map(async ([queue, depth]) => {
            try {
              this.set({ queue }, await depth());
              failed.delete(queue);
            } catch (err) {
              // A scrape must still answer when the database does not: the series is missing
              // for this scrape (alert on `absent()`), and the cause is logged once.
              if (!failed.has(queue)) log.error('reading a queue depth for /metrics failed', err, { queue });
              failed.add(queue);
            }
          }),
        );
      },
    });
  }

  /** Adds a queue to `orchard_queue_depth{queue=name}`; its depth is read on each scrape. */
  registerQueue(name: string, depth: QueueDepth): void {
    this.queues.set(name, depth);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text: this hub's metrics, then the process's. */
  async render(): Promise<string> {
    return (await this.registry.metrics()) + (await processMetrics().metrics());
  }
}
