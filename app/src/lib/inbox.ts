// A cell's inbox: an append-only JSON-lines file in the data directory. Each message is written
// and fsynced before it is acknowledged on the bus, and a message id seen before is dropped, so
// redeliveries (at-least-once) reach the reader exactly once.
// An always-on cell must not grow without end: the inbox keeps the newest `keep` messages. Once
// twice that many are stored, the oldest are dropped and the file is rewritten atomically, so
// the rewrite costs one line written per message received. Sequence numbers (the cursor) go on.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurable } from "./durable-file.ts";

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

/** Messages an inbox keeps unless told otherwise (AIOS_INBOX_KEEP). */
export const INBOX_KEEP = 10_000;

export class Inbox {
  /** The kept messages, oldest first; their seqs are consecutive. */
  private messages: Stored[] = [];
  private readonly seen = new Set<string>();
  private readonly path: string;
  private readonly keep: number;
  private fd: number;

  constructor(dataDir: string, keep = INBOX_KEEP) {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, "inbox.jsonl");
    this.path = path;
    this.keep = keep;
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
    if (this.messages.length > keep) this.compact();
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
    if (this.messages.length >= 2 * this.keep) this.compact();
    return fresh.length;
  }

  /** Drops all but the newest `keep` messages, in memory and on disk (temp file, then rename). */
  private compact(): void {
    const dropped = this.messages.slice(0, this.messages.length - this.keep);
    const kept = this.messages.slice(-this.keep);
    writeFileDurable(this.path, kept.map((m) => `${JSON.stringify(m)}\n`).join(""));
    closeSync(this.fd);
    this.fd = openSync(this.path, "a", 0o600);
    this.messages = kept;
    for (const m of dropped) this.seen.delete(m.id);
  }

  /**
   * Messages after `cursor` (a sequence number), oldest first. A cursor from before the oldest
   * kept message reads on from the oldest kept.
   */
  read(after: number, limit: number): { messages: Message[]; cursor: number } {
    // kept seqs are consecutive, so seq n sits at index n - first
    const first = this.messages[0]?.seq ?? 1;
    const from = Math.max(0, after + 1 - first);
    const slice = this.messages.slice(from, from + limit);
    return {
      messages: slice.map(({ seq: _seq, ...m }) => m),
      cursor: slice.at(-1)?.seq ?? Math.min(after, this.lastSeq),
    };
  }

  close(): void {
    closeSync(this.fd);
  }
}
