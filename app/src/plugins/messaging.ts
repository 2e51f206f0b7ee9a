// Cell-to-cell messages through JetStream.
//  - Accept: publish to the stream and wait for its ack (or, with the bus down, write an fsynced
//    outbox file) before answering 202, so an accepted message survives a SIGKILL of the sender.
//  - Deliver: a durable consumer per cell holds messages while the cell is down; each message is
//    fsynced into the inbox, de-duplicated by id, then acked (at least once on the wire, once
//    for the reader).
import { randomUUID } from "node:crypto";
import fp from "fastify-plugin";
import type { FastifyPluginAsync } from "fastify";
import { AckPolicy, DeliverPolicy, nanos, RetentionPolicy, type JetStreamClient, type JsMsg } from "nats";
import { DurableConsumer } from "../lib/durable-consumer.ts";
import { Inbox, InboxSyncError, type Message } from "../lib/inbox.ts";
import { Outbox } from "../lib/outbox.ts";
import { ensureStream } from "../lib/streams.ts";
import { notFound } from "../lib/http-errors.ts";
import { CELL_ID_PATTERN, errorSchema } from "../schemas.ts";

export const MESSAGE_STREAM = "AIOS_MESSAGES";
/** A message's subject names its sender; the bus lets a member publish only under its own id
 * (infra/render/nats-permissions.ts), so the receiver takes `from` from the subject, once the
 * payload carries that sender's signature for it (lib/signing.ts). */
export const subjectFor = (from: string, to: string): string => (to === "*" ? `aios.msg.${from}.all` : `aios.msg.${from}.to.${to}`);
/** The sender named by a message subject, or undefined for a subject of another shape. */
export const senderOf = (subject: string): string | undefined => {
  const t = subject.split(".");
  return (t.length === 4 && t[3] === "all") || (t.length === 5 && t[3] === "to") ? t[2] : undefined;
};

declare module "fastify" {
  interface FastifyInstance {
    messages: { accept(to: string, body: unknown): Promise<{ id: string; queued: boolean }>; inbox: Inbox };
  }
}

/** Outbox messages published at once when the bus returns. */
const DRAIN_WINDOW = 256;

const messagingPlugin: FastifyPluginAsync = async (app) => {
  const { cellId, dataDir, inboxKeep } = app.config;
  const { bus, metrics } = app;
  const inbox = new Inbox(dataDir, inboxKeep);
  const outbox = new Outbox(dataDir);
  metrics.outboxPending.set(outbox.size);

  // Messages pulled from the bus are stored in batches: one write for everything that arrived
  // in the same turn of the event loop, acked once the inbox's fsync covering it is done (the
  // fsync runs off the event loop, so the next batches are read and written meanwhile).
  let batch: { m: JsMsg; msg: Message }[] = [];
  const storeBatch = (): void => {
    const items = batch;
    batch = [];
    inbox.addMany(items.map((i) => i.msg)).then(
      (fresh) => {
        metrics.messagesReceived.inc(fresh);
        metrics.messagesDuplicate.inc(items.length - fresh);
        for (const { m } of items) m.ack();
      },
      (err: Error) => {
        if (err instanceof InboxSyncError) {
          // Retrying an fsync can report success for pages already lost: stop, and let the
          // restart read the file again; the bus redelivers what was not acknowledged.
          app.log.fatal(`${err.message}: stopping, ${items.length} messages unacknowledged`);
          process.exit(1);
        }
        // not stored, so not acked: the bus redelivers them after ack_wait
        app.log.error(`inbox write failed, ${items.length} messages will be redelivered: ${err.message}`);
      },
    );
  };

  const receive = (m: JsMsg): void => {
    const from = senderOf(m.subject);
    // signed by the member the subject names, for this subject (lib/signing.ts)
    const signed = from ? bus.open<Message>("message", m.subject, m.string(), (s) => s.member === from) : undefined;
    if (!from || !signed) {
      m.term(); // not a message this network sends; never redeliver it
      return;
    }
    const msg: Message = { ...signed, from };
    if (msg.to === "*" && msg.from === cellId) {
      m.ack(); // a cell does not receive its own broadcast
      return;
    }
    batch.push({ m, msg });
    if (batch.length === 1) setImmediate(storeBatch);
  };

  // nats-server 2.9 has one filter subject per consumer: one for direct messages, one for broadcasts
  const consumers = ([
    [`inbox-${cellId}`, subjectFor("*", cellId)],
    [`bcast-${cellId}`, subjectFor("*", "*")],
  ] as const).map(
    ([durable, subject]) =>
      new DurableConsumer(
        MESSAGE_STREAM,
        {
          durable_name: durable,
          filter_subject: subject,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: nanos(10_000),
          max_ack_pending: 1000,
        },
        receive,
        app.log,
      ),
  );

  const publish = async (js: JetStreamClient, message: Message): Promise<void> => {
    const subject = subjectFor(message.from, message.to);
    await js.publish(subject, bus.seal(subject, message, message.to === "*" ? undefined : message.to), { msgID: message.id, timeout: 2000 });
  };

  const drainOutbox = async (): Promise<void> => {
    try {
      const pending = outbox.pending();
      for (let i = 0; i < pending.length; i += DRAIN_WINDOW) {
        const js = bus.js;
        if (!bus.connected || !js || bus.jetStreamLost) return;
        // A window of publishes in flight at once: one at a time, a drain across a link with
        // 40 ms each way managed 12 a second. JetStream stores them in the order they were sent
        // on the one connection; each leaves the outbox once acknowledged.
        const sent = await Promise.allSettled(
          pending.slice(i, i + DRAIN_WINDOW).map(async ({ name, message }) => {
            await publish(js, message);
            outbox.remove(name);
            metrics.messagesPublished.inc();
          }),
        );
        metrics.outboxPending.set(outbox.size);
        const failed = sent.find((r) => r.status === "rejected");
        if (failed) throw failed.reason;
      }
    } catch (err) {
      app.log.warn(`outbox flush paused: ${(err as Error).message}`);
    }
  };
  // One drain at a time. The reset goes in .finally (always asynchronous): resetting inside the
  // drain itself would run before the assignment when the outbox is empty, and block every later flush.
  let flushing: Promise<void> | undefined;
  const flush = (): Promise<void> => (flushing ??= drainOutbox().finally(() => (flushing = undefined)));

  bus.onUp(async (_nc, js, jsm, cause) => {
    await ensureStream(jsm, { name: MESSAGE_STREAM, subjects: ["aios.msg.>"], retention: RetentionPolicy.Limits });
    for (const c of consumers) await c.attach(js, jsm, cause);
    void flush();
  });
  const retry = setInterval(() => {
    if (bus.connected && outbox.size > 0) void flush();
  }, 2000);
  retry.unref();
  app.addHook("preClose", async () => {
    clearInterval(retry);
    for (const c of consumers) c.stop();
  });
  app.addHook("onClose", async () => inbox.close());

  const accept = async (to: string, body: unknown): Promise<{ id: string; queued: boolean }> => {
    const message: Message = { id: randomUUID(), from: cellId, to, body, sent_at: new Date().toISOString() };
    metrics.messagesSent.inc();
    // while JetStream does not answer (a leaf cut off from its hub), straight to the outbox:
    // a publish would only wait out its timeout, holding the request 2 s
    if (bus.connected && bus.js && !bus.jetStreamLost) {
      try {
        await publish(bus.js, message);
        metrics.messagesPublished.inc();
        return { id: message.id, queued: false };
      } catch {
        // fall through to the outbox: the bus went away mid-call
      }
    }
    await outbox.put(message);
    metrics.outboxPending.set(outbox.size);
    return { id: message.id, queued: true };
  };
  app.decorate("messages", { accept, inbox });

  app.post<{ Body: { to: string; body: unknown } }>(
    "/messages",
    {
      onRequest: app.requireToken,
      schema: {
        // Send a message to one cell, or to every cell with "to": "*"
        body: {
          type: "object",
          required: ["to", "body"],
          additionalProperties: false,
          properties: { to: { type: "string", pattern: `(^\\*$)|(${CELL_ID_PATTERN})` }, body: {} },
        },
        response: {
          202: {
            type: "object",
            properties: { id: { type: "string" }, status: { type: "string" }, queued: { type: "boolean" } },
          },
          400: errorSchema,
          401: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (req, reply) => {
      const { to, body } = req.body;
      // Before the view was ever read (started while the bus is down) no id can be called unknown:
      // the message is accepted and waits, like any other, for the bus.
      if (to !== "*" && app.presence.loaded && !app.presence.get(to)) {
        return reply.code(404).send(notFound(`unknown cell "${to}"`));
      }
      const { id, queued } = await accept(to, body);
      return reply.code(202).send({ id, status: "accepted", queued });
    },
  );

  app.get<{ Querystring: { after: string; limit: number } }>(
    "/messages",
    {
      onRequest: app.requireToken,
      schema: {
        // This cell's inbox after a cursor, oldest first
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            after: { type: "string", pattern: "^[0-9]+$", default: "0" },
            limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              messages: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    id: { type: "string" },
                    from: { type: "string" },
                    to: { type: "string" },
                    body: {},
                    sent_at: { type: "string" },
                  },
                },
              },
              cursor: { type: "string" },
            },
          },
          400: errorSchema,
          401: errorSchema,
        },
      },
    },
    async (req) => {
      const { messages, cursor } = inbox.read(Number(req.query.after), req.query.limit);
      return { messages, cursor: String(cursor) };
    },
  );
};

export default fp(messagingPlugin, { name: "messaging", dependencies: ["config", "metrics", "auth", "bus", "presence"] });
