// Messages between real cell processes through a real nats-server: an accepted message (202) is
// never lost, whoever stops or dies, and each receiver stores it once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "nats";
import { hasTool } from "../helpers/tools.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import type { ServiceHandle } from "../helpers/service.ts";
import { inbox, metric, send, startCell, waitInbox, waitPeer } from "../helpers/cells.ts";

describe.skipIf(!hasTool("nats-server"))("messages between cells", () => {
  let nats: NatsHandle;
  let alpha: ServiceHandle;
  let beta: ServiceHandle;
  let gamma: ServiceHandle;

  beforeAll(async () => {
    nats = await startNats();
    [alpha, beta, gamma] = await Promise.all([
      startCell(nats.url, "alpha"),
      startCell(nats.url, "beta"),
      startCell(nats.url, "gamma"),
    ]);
    for (const id of ["beta", "gamma"]) await waitPeer(alpha.url, id, "up");
  });
  afterAll(async () => {
    await Promise.all([alpha, beta, gamma].map((s) => s?.kill()));
    await nats?.dispose();
  });

  it("delivers a message to its receiver's inbox, with sender, body and time", async () => {
    const [sentBefore, receivedBefore] = [
      await metric(alpha.url, "aios_messages_sent_total"),
      await metric(beta.url, "aios_messages_received_total"),
    ];
    const { id, queued } = await send(alpha.url, "beta", { hello: "beta" });
    expect(queued).toBe(false);
    const got = (await waitInbox(beta.url, [id])).filter((m) => m.id === id);
    expect(got).toEqual([{ id, from: "alpha", to: "beta", body: { hello: "beta" }, sent_at: expect.any(String) }]);
    expect(await metric(alpha.url, "aios_messages_sent_total")).toBe(sentBefore + 1);
    expect(await metric(beta.url, "aios_messages_received_total")).toBe(receivedBefore + 1);
    expect((await inbox(gamma.url)).messages.map((m) => m.id)).not.toContain(id);
  });

  it("pages the inbox with a cursor: after=cursor returns only newer messages", async () => {
    const before = await inbox(gamma.url);
    const first = await send(beta.url, "gamma", 1);
    await waitInbox(gamma.url, [first.id]);
    const page = await inbox(gamma.url, before.cursor);
    expect(page.messages.map((m) => m.id)).toEqual([first.id]);

    const second = await send(beta.url, "gamma", 2);
    const third = await send(beta.url, "gamma", 3);
    await waitInbox(gamma.url, [second.id, third.id]);
    const next = await inbox(gamma.url, page.cursor);
    expect(next.messages.map((m) => m.body)).toEqual([2, 3]);
    const empty = await inbox(gamma.url, next.cursor);
    expect(empty).toEqual({ messages: [], cursor: next.cursor });
  });

  it("broadcasts '*' to every other cell, not back to the sender", async () => {
    const { id } = await send(alpha.url, "*", "to all");
    await waitInbox(beta.url, [id]);
    await waitInbox(gamma.url, [id]);
    // once beta and gamma have it, alpha has long consumed the broadcast too (and dropped it)
    const late = await send(beta.url, "alpha", "after the broadcast");
    const alphaInbox = await waitInbox(alpha.url, [late.id]);
    expect(alphaInbox.map((m) => m.id)).not.toContain(id);
  });

  it("holds a message for a stopped receiver and delivers it when the receiver returns", async () => {
    await beta.kill("SIGTERM");
    await waitPeer(alpha.url, "beta", "down");
    const { id } = await send(alpha.url, "beta", "while you were out");
    beta = await beta.restart();
    const got = await waitInbox(beta.url, [id]);
    expect(got.filter((m) => m.id === id)).toHaveLength(1);
  });

  it("delivers a message whose sender is SIGKILLed right after the 202", async () => {
    const { id } = await send(gamma.url, "beta", "last words");
    await gamma.kill("SIGKILL");
    await waitInbox(beta.url, [id]);
    gamma = await gamma.restart();
  });

  it("stores each message once even when the bus delivers it twice", async () => {
    // A redelivery as the receiver sees it: the same message id under a different Nats-Msg-Id,
    // which JetStream's own de-duplication does not catch.
    const { id } = await send(alpha.url, "beta", "once");
    await waitInbox(beta.url, [id]);
    const duplicatesBefore = await metric(beta.url, "aios_messages_duplicate_total");
    const nc: NatsConnection = await connect({ servers: nats.url });
    try {
      const js = nc.jetstream();
      const again = JSON.stringify({ id, from: "alpha", to: "beta", body: "once", sent_at: new Date().toISOString() });
      await js.publish("aios.msg.alpha.to.beta", again, { msgID: `${id}-redelivered` });
      const marker = await send(alpha.url, "beta", "marker");
      const got = await waitInbox(beta.url, [marker.id]);
      expect(got.filter((m) => m.id === id)).toHaveLength(1);
      // the second copy did reach beta, and was dropped by id
      expect(await metric(beta.url, "aios_messages_duplicate_total")).toBe(duplicatesBefore + 1);
    } finally {
      await nc.close();
    }
  });

  it("keeps accepting while the bus is down (202 queued) and delivers when it returns", async () => {
    await nats.stop();
    const { id, queued } = await send(alpha.url, "gamma", "queued while the bus is down");
    expect(queued).toBe(true);
    // the queued message survives a SIGKILL of its sender too
    await alpha.kill("SIGKILL");
    alpha = await alpha.restart();
    // restarted without a bus, alpha has no view of the network yet, and still accepts
    const later = await send(alpha.url, "gamma", "accepted by a sender that never saw the bus");
    expect(later.queued).toBe(true);
    await nats.start();
    const got = await waitInbox(gamma.url, [id, later.id], 20_000);
    expect(got.filter((m) => m.from === "alpha").slice(-2).map((m) => m.id)).toEqual([id, later.id]);
  });

  it("delivers a message stored before nats-server restarts to a receiver that was down meanwhile", async () => {
    await waitPeer(alpha.url, "beta", "up");
    await beta.kill("SIGTERM");
    const { id, queued } = await send(alpha.url, "beta", "across a server restart");
    expect(queued).toBe(false);
    await nats.stop();
    await nats.start();
    beta = await beta.restart();
    const got = await waitInbox(beta.url, [id], 20_000);
    expect(got.filter((m) => m.id === id)).toHaveLength(1);
  });
});
