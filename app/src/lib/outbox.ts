// Messages accepted while the bus is unreachable: one fsynced file each (written off the event
// loop, several at a time), so a 202 survives a SIGKILL of the sender. They are published (with their id for JetStream de-duplication) when
// the bus returns, oldest first, and removed once the bus acknowledged them.
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurableAsync } from "./durable-file.ts";
import type { Message } from "./inbox.ts";

export class Outbox {
  private readonly dir: string;
  private counter = 0;
  /** Messages waiting: counted once from the directory, then kept by put() and remove(). */
  private count: number;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "outbox");
    mkdirSync(this.dir, { recursive: true });
    this.count = this.names().length;
  }

  private names(): string[] {
    return readdirSync(this.dir).filter((n) => n.endsWith(".json"));
  }

  /** Resolves once the message is on disk; several may be under way at once. */
  async put(m: Message): Promise<void> {
    // names sort in acceptance order: time, then a counter for the same millisecond (given
    // here, so a write that ends later still sorts where its message was accepted)
    const name = `${String(Date.now()).padStart(15, "0")}-${String(this.counter++).padStart(6, "0")}-${m.id}.json`;
    await writeFileDurableAsync(join(this.dir, name), JSON.stringify(m));
    this.count++;
  }

  pending(): { name: string; message: Message }[] {
    return this.names()
      .sort()
      .map((name) => ({ name, message: JSON.parse(readFileSync(join(this.dir, name), "utf8")) as Message }));
  }

  get size(): number {
    return this.count;
  }

  remove(name: string): void {
    unlinkSync(join(this.dir, name));
    this.count--;
  }
}
