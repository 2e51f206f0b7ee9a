// Which cells can take a task, least loaded first: cells up in presence that publish a load
// record with capacity (their task worker runs). Shared by the dispatcher and the vscode-bridge.
import { StorageType, type KV } from "nats";
import type { Bus } from "../lib/bus.ts";
import { kvScope } from "../lib/signing.ts";
import type { Presence } from "../lib/presence.ts";
import { LOAD_BUCKET, type CellLoad } from "./protocol.ts";

export interface Candidate {
  cell_id: string;
  /** Tasks running there: the cell's own count, or the caller's, whichever is higher (the cell's lags). */
  running: number;
  capacity: number;
}

export class CellLoads {
  private readonly loads = new Map<string, CellLoad>();
  private stopWatch: (() => void) | undefined;
  private kv: KV | undefined;
  private readonly bus: Bus;
  private readonly presence: Presence;
  /** Called when a load record changes (a cell freed a slot, joined or left). */
  onChange: () => void = () => {};

  constructor(bus: Bus, presence: Presence) {
    this.bus = bus;
    this.presence = presence;
    bus.onUp(async (_nc, js) => {
      this.kv = await js.views.kv(LOAD_BUCKET, { history: 1, storage: StorageType.File });
      await this.watch(this.kv);
    });
    // nothing tells this watch's reader it was lost with the hub; the member's presence notices
    presence.onRewatch(() => (this.kv ? this.watch(this.kv) : Promise.resolve()));
  }

  private async watch(kv: KV): Promise<void> {
    this.stopWatch?.();
    const iter = await kv.watch({ key: ">" });
    this.stopWatch = () => iter.stop();
    void (async () => {
      for await (const e of iter) {
        if (e.operation === "PUT") {
          // signed by the cell itself; a refused or malformed record is ignored
          const l = this.bus.open<CellLoad>("task load", kvScope(LOAD_BUCKET, e.key), e.string(), (s) => s.member === e.key);
          if (l?.cell_id !== e.key) continue;
          this.loads.set(e.key, l);
        } else {
          this.loads.delete(e.key);
        }
        this.onChange();
      }
    })();
  }

  get(cellId: string): CellLoad | undefined {
    return this.loads.get(cellId);
  }

  /** Healthy cells with their load, least loaded first (ties by id, so choices are repeatable). */
  candidates(ownCount: (cellId: string) => number = () => 0): Candidate[] {
    const out: Candidate[] = [];
    for (const l of this.loads.values()) {
      const p = this.presence.get(l.cell_id);
      if (!p?.up || p.role !== "cell" || l.capacity <= 0) continue;
      out.push({ cell_id: l.cell_id, running: Math.max(l.running, ownCount(l.cell_id)), capacity: l.capacity });
    }
    return out.sort((a, b) => a.running - b.running || a.cell_id.localeCompare(b.cell_id));
  }

  /** Why no cell can take a task now, for a 503. */
  whyNone(): string {
    const cells = this.presence.view().filter((p) => p.role === "cell");
    if (cells.length === 0) return "no cell is known on the bus";
    const up = cells.filter((p) => p.up);
    if (up.length === 0) return `no cell is up (${cells.length} known, all down: ${cells.map((c) => c.cell_id).join(", ")})`;
    const working = up.filter((p) => (this.loads.get(p.cell_id)?.capacity ?? 0) > 0);
    if (working.length === 0) return `no cell that is up runs a task worker (${up.map((c) => c.cell_id).join(", ")})`;
    return `every cell is at capacity (${working.map((c) => c.cell_id).join(", ")})`;
  }

  stop(): void {
    this.stopWatch?.();
  }
}
