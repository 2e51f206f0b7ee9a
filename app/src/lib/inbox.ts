// A cell's inbox: an append-only JSON-lines file in the data directory. Each message is written
// and fsynced before it is acknowledged on the bus, and a message id seen before is dropped, so
// redeliveries (at-least-once) reach the reader exactly once. The fsync runs off the event loop
// (libuv's pool), one at a time, covering every batch written before it began (a group commit):
// a synchronous fsync held the cell's event loop about a millisecond per batch here, tens of
// milliseconds at its tail, and at 1,000 messages/s every message behind it waited too. A
// message is readable (GET /messages) once its fsync is done.
// An always-on cell must not grow without end: the inbox keeps the newest `keep` messages. Once
// twice that many are stored, the oldest are dropped and the file is rewritten atomically, so
// the rewrite costs one line written per message received. Sequence numbers (the cursor) go on.
import { closeSync, fsync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";
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

/** The inbox's fsync failed: what reached the disk is unknown. */
export class InboxSyncError extends Error {
  constructor(cause: NodeJS.ErrnoException) {
    super(`fsync of the inbox failed (${cause.code ?? cause.message})`, { cause });
    this.name = "InboxSyncError";
  }
}

/** Messages an inbox keeps unless told otherwise (AIOS_INBOX_KEEP). */
export const INBOX_KEEP = 10_000;

export class Inbox {
  /** The kept messages, oldest first; their seqs are consecutive. */
  private messages: Stored[] = [];
  /** Ids stored or written and waiting for their fsync. */
  private readonly seen = new Set<string>();
  private readonly path: string;
  private readonly keep: number;
  private fd: number;
  /** Written, not yet fsynced, in seq order after `messages`. */
  private unsynced: Stored[] = [];
  /** Batches waiting for the next fsync (written after the one in flight began). */
  private waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private syncing = false;
  private inFlight: Promise<void> = Promise.resolve();

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

  /** The seq of the last message written, fsynced or not. */
  private get lastWritten(): number {
    return this.unsynced.at(-1)?.seq ?? this.lastSeq;
  }

  get size(): number {
    return this.messages.length;
  }

  /**
   * Stores messages durably: one write now, then the fsync that covers it; resolves with how
   * many were new once they are on disk (ack them then). Ids already stored, or repeated within
   * the batch, are dropped. Rejects when the fsync fails: what reached the disk is then unknown
   * (a later fsync may report success for pages that were lost), so the caller must not ack and
   * should restart from the file.
   */
  async addMany(batch: Message[]): Promise<number> {
    const fresh: Stored[] = [];
    let seq = this.lastWritten;
    for (const m of batch) {
      if (this.seen.has(m.id) || fresh.some((f) => f.id === m.id)) continue;
      fresh.push({ seq: ++seq, id: m.id, from: m.from, to: m.to, body: m.body, sent_at: m.sent_at });
    }
    if (fresh.length === 0) return 0;
    writeSync(this.fd, fresh.map((f) => `${JSON.stringify(f)}\n`).join(""));
    this.unsynced.push(...fresh);
    for (const f of fresh) this.seen.add(f.id);
    await new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.syncing) this.sync();
    });
    return fresh.length;
  }

  /** One fsync for every batch written so far; the next starts when it ends, if more were written. */
  private sync(): void {
    const waiters = this.waiting;
    const covered = this.unsynced.length;
    this.waiting = [];
    this.syncing = true;
    this.inFlight = new Promise((done) =>
      fsync(this.fd, (err) => {
        this.syncing = false;
        if (err) {
          const failed = new InboxSyncError(err);
          for (const w of waiters) w.reject(failed);
        } else {
          this.messages.push(...this.unsynced.splice(0, covered));
          if (this.messages.length >= 2 * this.keep) this.compact();
          for (const w of waiters) w.resolve();
        }
        if (this.waiting.length) this.sync();
        done();
      }),
    );
  }

  /**
   * Drops all but the newest `keep` messages, in memory and on disk (temp file, then rename);
   * lines written since the last fsync go into the new file too. Never runs during an fsync.
   */
  private compact(): void {
    const dropped = this.messages.slice(0, this.messages.length - this.keep);
    const kept = this.messages.slice(-this.keep);
    writeFileDurable(this.path, [...kept, ...this.unsynced].map((m) => `${JSON.stringify(m)}\n`).join(""));
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

  /** Closes the file once the fsyncs under way have ended. */
  async close(): Promise<void> {
    while (this.syncing) await this.inFlight;
    closeSync(this.fd);
  }
}
