// A cell's inbox: an append-only JSON-lines file in the data directory. Each message is written
// and fsynced before it is acknowledged on the bus, and a message id seen before is dropped, so
// redeliveries (at-least-once) reach the reader exactly once.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface Message {
  id: string;
  from: string;
  to: string;
  body: unknown;
  sent_at: string;
}

interface Stored extends Message {
  seq: number;
}

export class Inbox {
  private readonly messages: Stored[] = [];
  private readonly seen = new Set<string>();
  private readonly fd: number;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, "inbox.jsonl");
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    // A crash mid-write leaves a torn last line; its message was never acked, so it comes
    // again. Cut it off, or the next append would be glued to it and lost on the next start.
    const end = text.lastIndexOf("\n") + 1;
    if (end < text.length) {
      truncateSync(path, Buffer.byteLength(text.slice(0, end)));
      text = text.slice(0, end);
    }
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        const m = JSON.parse(line) as Stored;
        this.messages.push(m);
        this.seen.add(m.id);
      } catch {
        // unreadable line (edited by hand?): skipped rather than refusing to start
      }
    }
    this.fd = openSync(path, "a", 0o600);
  }

  get lastSeq(): number {
    return this.messages.at(-1)?.seq ?? 0;
  }

  get size(): number {
    return this.messages.length;
  }

  /**
   * Stores messages durably with one write and one fsync (a batch pulled from the bus);
   * ids already stored, or repeated within the batch, are dropped. Returns how many were new.
   */
  addMany(batch: Message[]): number {
    const fresh: Stored[] = [];
    let seq = this.lastSeq;
    for (const m of batch) {
      if (this.seen.has(m.id) || fresh.some((f) => f.id === m.id)) continue;
      fresh.push({ seq: ++seq, id: m.id, from: m.from, to: m.to, body: m.body, sent_at: m.sent_at });
    }
    if (fresh.length === 0) return 0;
    writeSync(this.fd, fresh.map((f) => `${JSON.stringify(f)}\n`).join(""));
    fsyncSync(this.fd);
    for (const f of fresh) {
      this.messages.push(f);
      this.seen.add(f.id);
    }
    return fresh.length;
  }

  /** Messages after `cursor` (a sequence number), oldest first. */
  read(after: number, limit: number): { messages: Message[]; cursor: number } {
    // seqs are dense and start at 1, so the index of seq n is n - 1
    const slice = this.messages.slice(Math.max(0, after), Math.max(0, after) + limit);
    return {
      messages: slice.map(({ seq: _seq, ...m }) => m),
      cursor: slice.at(-1)?.seq ?? Math.min(after, this.lastSeq),
    };
  }

  close(): void {
    closeSync(this.fd);
  }
}
