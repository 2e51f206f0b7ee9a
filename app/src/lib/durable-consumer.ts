// A durable JetStream pull consumer, read by one long-lived iterator.
// nats.js's consume() iterator pulls again by itself after a reconnect. Replacing it at every
// reconnect (as this code once did) left two pull requests on the server: the old iterator's,
// for an inbox nobody listened to any more, could take the next message, which then waited out
// ack_wait and arrived after later ones. So attach() keeps the iterator after a reconnect to a
// server that still has the consumer. It starts a new one when the consumer is new (a server
// that came back empty), when the iterator has ended, and when JetStream answers again on a
// connection that stayed up (a leaf cut off from its hub): the iterator's pulls went nowhere
// meanwhile, and it would only notice after missed heartbeats (PULL_EXPIRES_MS below). A hub
// back before the probe saw it gone is left to those heartbeats.
import type { UpCause } from "./bus.ts";
import { NatsError, type ConsumerConfig, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "nats";

/**
 * How long one pull request lives. nats.js asks the server for a heartbeat every half of it and
 * pulls afresh after two missed: a hub that restarts within the bus's JetStream probe (2 s)
 * forgets the pulls waiting on it while the member's connection to its leaf server stays up, and
 * with nats.js's default of 30 s the member received nothing for half a minute. At 5 s the pulls
 * are renewed within 5-7.5 s; idle, each consumer costs a heartbeat every 2.5 s and a pull every 5 s.
 */
const PULL_EXPIRES_MS = 5000;

/** JetStream's error code for "consumer not found". */
const CONSUMER_NOT_FOUND = 10014;

export type ConsumerSpec = Partial<ConsumerConfig> & { durable_name: string };

export class DurableConsumer {
  private iter: ConsumerMessages | undefined;
  private readonly stream: string;
  private readonly spec: ConsumerSpec;
  private readonly handle: (m: JsMsg) => void | Promise<void>;
  private readonly log: { warn(msg: string): void };

  constructor(stream: string, spec: ConsumerSpec, handle: (m: JsMsg) => void | Promise<void>, log: { warn(msg: string): void }) {
    this.stream = stream;
    this.spec = spec;
    this.handle = handle;
    this.log = log;
  }

  /** Run from the bus's up hook: makes sure the consumer exists and is being read. */
  async attach(js: JetStreamClient, jsm: JetStreamManager, cause: UpCause): Promise<void> {
    const name = this.spec.durable_name;
    // asked only when there is an iterator to keep (not at the first connect)
    const keep = this.iter !== undefined && cause === "connect" && (await this.exists(jsm));
    await jsm.consumers.add(this.stream, this.spec);
    if (keep) return;
    this.iter?.stop();
    const iter = await (await js.consumers.get(this.stream, name)).consume({ max_messages: 256, expires: PULL_EXPIRES_MS });
    this.iter = iter;
    void (async () => {
      try {
        for await (const m of iter) await this.handle(m);
      } catch (err) {
        this.log.warn(`reading ${this.stream}/${name} stopped: ${(err as Error).message}; it resumes at the next connect`);
      } finally {
        if (this.iter === iter) this.iter = undefined;
      }
    })();
  }

  private exists(jsm: JetStreamManager): Promise<boolean> {
    return jsm.consumers.info(this.stream, this.spec.durable_name).then(
      () => true,
      (err: unknown) => {
        if (err instanceof NatsError && err.jsError()?.err_code === CONSUMER_NOT_FOUND) return false;
        throw err;
      },
    );
  }

  stop(): void {
    this.iter?.stop();
    this.iter = undefined;
  }
}
