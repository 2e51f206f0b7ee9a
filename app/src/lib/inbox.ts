// A cell's inbox: an append-only JSON-lines file in the data directory. Each message is written
// and fsynced before it is acknowledged on the bus, and a message id seen before is dropped, so
// redeliveries (at-least-once) reach the reader exactly once.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
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
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        const m = JSON.parse(line) as Stored;
        this.messages.push(m);
        this.seen.add(m.id);
      } catch {
        // a torn last line from a crash mid-write; its message was never acked, so it comes again
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

  /** Stores a message durably; returns false when its id was already stored. */
  add(m: Message): boolean {
    if (this.seen.has(m.id)) return false;
    const stored: Stored = { seq: this.lastSeq + 1, id: m.id, from: m.from, to: m.to, body: m.body, sent_at: m.sent_at };
    writeSync(this.fd, `${JSON.stringify(stored)}\n`);
    fsyncSync(this.fd);
    this.messages.push(stored);
    this.seen.add(m.id);
    return true;
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
