import { describe, expect, it } from "vitest";
import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Inbox, type Message } from "../../app/src/lib/inbox.ts";

const msg = (id: string, body: unknown = id): Message => ({ id, from: "a", to: "b", body, sent_at: "2026-01-01T00:00:00.000Z" });

describe("inbox (the receiver's durable, de-duplicated store)", () => {
  it("stores a batch once, dropping ids repeated in the batch or stored before", async () => {
    const inbox = new Inbox(mkdtempSync(join(tmpdir(), "aios-inbox-")));
    expect(await inbox.addMany([msg("1"), msg("2"), msg("1")])).toBe(2);
    expect(await inbox.addMany([msg("2"), msg("3")])).toBe(1);
    expect(inbox.read(0, 10).messages.map((m) => m.id)).toEqual(["1", "2", "3"]);
    await inbox.close();
  });

  it("pages with a cursor and survives a restart, including a torn last line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-inbox-"));
    const first = new Inbox(dir);
    await first.addMany([msg("1"), msg("2"), msg("3")]);
    await first.close();
    appendFileSync(join(dir, "inbox.jsonl"), '{"seq":4,"id":"4","fr'); // a crash mid-write

    const again = new Inbox(dir);
    const page = again.read(0, 2);
    expect(page.messages.map((m) => m.id)).toEqual(["1", "2"]);
    expect(page.cursor).toBe(2);
    expect(again.read(page.cursor, 10).messages.map((m) => m.id)).toEqual(["3"]);
    expect(again.read(3, 10)).toEqual({ messages: [], cursor: 3 });
    // ids stored before the restart are still recognised as duplicates
    expect(await again.addMany([msg("2"), msg("4", "redelivered")])).toBe(1);
    expect(again.read(3, 10).messages).toEqual([msg("4", "redelivered")]);
    await again.close();
    // the redelivered message was appended cleanly, not glued to the torn line
    const third = new Inbox(dir);
    expect(third.read(0, 10).messages.map((m) => m.id)).toEqual(["1", "2", "3", "4"]);
    await third.close();
  });

  it("keeps the newest messages only, on disk too, with the cursor going on across the cut", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-inbox-"));
    const lines = (): number => readFileSync(join(dir, "inbox.jsonl"), "utf8").split("\n").filter(Boolean).length;
    const inbox = new Inbox(dir, 3);
    const ids = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
    await inbox.addMany(ids(1, 5).map((id) => msg(id)));
    expect(lines()).toBe(5); // below twice the limit nothing is dropped
    const before = inbox.read(0, 2);
    expect(before.messages.map((m) => m.id)).toEqual(["1", "2"]);
    await inbox.addMany([msg("6")]); // twice the limit: cut to the newest three
    expect(lines()).toBe(3);
    expect(inbox.size).toBe(3);
    // a reader whose cursor points before the kept messages reads on from the oldest kept
    expect(inbox.read(before.cursor, 10)).toEqual({ messages: ["4", "5", "6"].map((id) => msg(id)), cursor: 6 });
    expect(inbox.read(4, 10).messages.map((m) => m.id)).toEqual(["5", "6"]);
    // kept ids are still duplicates; new ones continue the sequence
    expect(await inbox.addMany([msg("5"), msg("7")])).toBe(1);
    expect(inbox.read(6, 10)).toEqual({ messages: [msg("7")], cursor: 7 });
    await inbox.close();
    // a restart with a lower limit cuts at once; sequence numbers survive
    const again = new Inbox(dir, 2);
    expect(lines()).toBe(2);
    expect(again.read(0, 10)).toEqual({ messages: [msg("6"), msg("7")], cursor: 7 });
    await again.addMany([msg("8")]);
    expect(again.read(7, 10)).toEqual({ messages: [msg("8")], cursor: 8 });
    await again.close();
  });

  it("batches written while an fsync runs share the next one: all stored in order, a repeat across them dropped, each readable once on disk", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-inbox-"));
    const inbox = new Inbox(dir);
    const stored = [inbox.addMany([msg("1"), msg("2")]), inbox.addMany([msg("2"), msg("3")]), inbox.addMany([msg("4")])];
    // written, not yet fsynced: not readable, and not acknowledged (the promises are pending)
    expect(inbox.read(0, 10).messages).toEqual([]);
    expect(await Promise.all(stored)).toEqual([2, 1, 1]);
    expect(inbox.read(0, 10)).toEqual({ messages: ["1", "2", "3", "4"].map((id) => msg(id)), cursor: 4 });
    await inbox.close();
    expect(new Inbox(dir).read(0, 10).messages.map((m) => m.id)).toEqual(["1", "2", "3", "4"]);
  });
});
