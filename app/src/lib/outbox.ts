// Messages accepted while the bus is unreachable: one fsynced file each, so a 202 survives a
// SIGKILL of the sender. They are published (with their id for JetStream de-duplication) when
// the bus returns, oldest first, and removed once the bus acknowledged them.
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurable } from "./durable-file.ts";
import type { Message } from "./inbox.ts";

export class Outbox {
  private readonly dir: string;
  private counter = 0;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "outbox");
    mkdirSync(this.dir, { recursive: true });
  }

  put(m: Message): void {
    // names sort in acceptance order: time, then a counter for the same millisecond
    const name = `${String(Date.now()).padStart(15, "0")}-${String(this.counter++).padStart(6, "0")}-${m.id}.json`;
    writeFileDurable(join(this.dir, name), JSON.stringify(m));
  }

  pending(): { name: string; message: Message }[] {
    return readdirSync(this.dir)
      .filter((n) => n.endsWith(".json"))
      .sort()
      .map((name) => ({ name, message: JSON.parse(readFileSync(join(this.dir, name), "utf8")) as Message }));
  }

  get size(): number {
    return readdirSync(this.dir).filter((n) => n.endsWith(".json")).length;
  }

  remove(name: string): void {
    unlinkSync(join(this.dir, name));
  }
}
