// Presence: every cell heartbeats its record into a JetStream key-value bucket and watches the
// bucket, so each member holds the whole network view. A record whose heartbeat is older than
// the down threshold (or that was marked stopped) counts as down.
import { StorageType, type KV } from "nats";
import type { Bus } from "./bus.ts";
import { kvScope, type Signer } from "./signing.ts";

export const PRESENCE_BUCKET = "aios_presence";

export interface PresenceRecord {
  cell_id: string;
  role: string;
  device: string;
  url: string;
  consciousness_level: number;
  version: string;
  /** ISO time of the last heartbeat. */
  heartbeat: string;
  /** "bus" for members that heartbeat themselves, "http" for peers health-checked by discovery. */
  transport: "bus" | "http";
  stopped?: boolean;
}

export interface PeerView extends PresenceRecord {
  up: boolean;
}

/** The levels of the cells up among `peers` (organelles carry no level). */
export const cellLevels = (peers: PeerView[]): { cell_id: string; consciousness_level: number }[] =>
  peers.filter((p) => p.up && p.role === "cell").map((p) => ({ cell_id: p.cell_id, consciousness_level: p.consciousness_level }));

/** Who may sign a presence record: the member itself, or discovery (it writes HTTP-only peers' records). */
export const mayWritePresence =
  (key: string) =>
  (s: Signer): boolean =>
    s.member === key || s.role === "discovery";

/**
 * How long this member's own stored heartbeats may go unseen by its watch, in heartbeats, before
 * the watch is set up again. A hub back within a couple of seconds (a crash, then its restart
 * policy) takes the watch's consumer with it unnoticed: nats.js would find out from missed idle
 * heartbeats (5 s apart), which kept a leaf's cell from seeing the hub's cells for 7-10 s.
 */
const UNSEEN_OWN_BEATS = 3;

export class Presence {
  private readonly records = new Map<string, PresenceRecord>();
  /** True once the bucket was read in full: from then on an id missing from the view is unknown.
   * The view stays in memory across bus outages, so it stays true. */
  loaded = false;
  private kv: KV | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopWatch: (() => void) | undefined;
  /** Since when a heartbeat of this member's, stored on the bus, has not come back through the watch. */
  private unseenSince: number | undefined;
  private rewatching = false;
  /** Run after this member set its watch up again, for the other watches its server lost too. */
  private readonly rewatchHooks: (() => Promise<void>)[] = [];

  private readonly bus: Bus;
  private readonly opts: { downAfterMs: number; heartbeatMs: number; self?: () => PresenceRecord };

  constructor(bus: Bus, opts: { downAfterMs: number; heartbeatMs: number; self?: () => PresenceRecord }) {
    this.bus = bus;
    this.opts = opts;
    bus.onUp(async (_nc, js) => {
      this.kv = await js.views.kv(PRESENCE_BUCKET, { history: 1, storage: StorageType.File });
      // this member's record before the watch: on a leaf whose hub is 40 ms away each way,
      // setting the watch up first kept a new member out of everyone's view two round trips longer
      await this.beat();
      await this.watch(this.kv);
    });
    if (opts.self) {
      this.timer = setInterval(() => void this.beat(), opts.heartbeatMs);
      this.timer.unref();
    }
  }

  private async watch(kv: KV): Promise<void> {
    this.stopWatch?.();
    const iter = await kv.watch({ key: ">", initializedFn: () => (this.loaded = true) });
    this.stopWatch = () => iter.stop();
    this.unseenSince = undefined;
    const own = this.opts.self?.().cell_id;
    void (async () => {
      for await (const e of iter) {
        if (e.key === own) this.unseenSince = undefined;
        if (e.operation === "PUT") {
          // a refused or malformed record leaves the view as it was
          const r = this.bus.open<PresenceRecord>("presence", kvScope(PRESENCE_BUCKET, e.key), e.string(), mayWritePresence(e.key));
          if (r?.cell_id === e.key) this.records.set(e.key, r);
        } else {
          this.records.delete(e.key);
        }
      }
    })();
  }

  /** Publishes this member's record now (no-op for members without presence). */
  async beat(): Promise<void> {
    if (!this.opts.self) return;
    if (!(await this.put(this.opts.self()))) return;
    const now = Date.now();
    this.unseenSince ??= now;
    if (this.kv && !this.rewatching && now - this.unseenSince > UNSEEN_OWN_BEATS * this.opts.heartbeatMs) {
      this.rewatching = true;
      await this.watch(this.kv)
        .then(() => Promise.all(this.rewatchHooks.map((hook) => hook())))
        .catch(() => undefined) // JetStream away: the next heartbeat tries again
        .finally(() => (this.rewatching = false));
    }
  }

  /**
   * Runs `hook` each time this member's own heartbeats stopped coming back and its watch was set
   * up again: whatever lost that watch's consumer (a hub back within seconds) lost the other
   * watches this member's server held for it, unnoticed by nats.js for 5 s or more.
   */
  onRewatch(hook: () => Promise<void>): void {
    this.rewatchHooks.push(hook);
  }

  /** Publishes a record; resolves true once the bus stored it. */
  async put(record: PresenceRecord): Promise<boolean> {
    this.records.set(record.cell_id, record);
    if (!this.kv || !this.bus.connected) return false;
    try {
      await this.kv.put(record.cell_id, this.bus.seal(kvScope(PRESENCE_BUCKET, record.cell_id), record));
      return true;
    } catch {
      return false; // the bus dropped mid-call; the next heartbeat after reconnect republishes
    }
  }

  /** True when the bus is connected and the bucket is being watched. */
  get ready(): boolean {
    return this.bus.connected && this.kv !== undefined;
  }

  isUp(r: PresenceRecord, now = Date.now()): boolean {
    return !r.stopped && now - Date.parse(r.heartbeat) <= this.opts.downAfterMs;
  }

  get(cellId: string): PeerView | undefined {
    const r = this.records.get(cellId);
    return r && { ...r, up: this.isUp(r) };
  }

  /** How many members other than `self` are up (no copies: /health calls this per request). */
  countUp(self: string): number {
    const now = Date.now();
    let n = 0;
    for (const r of this.records.values()) if (r.cell_id !== self && this.isUp(r, now)) n++;
    return n;
  }

  view(): PeerView[] {
    const now = Date.now();
    return [...this.records.values()]
      .map((r) => ({ ...r, up: this.isUp(r, now) }))
      .sort((a, b) => a.cell_id.localeCompare(b.cell_id));
  }

  /** Marks this member stopped, so peers see it down at once rather than after the timeout. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.opts.self) await this.put({ ...this.opts.self(), stopped: true });
    this.stopWatch?.();
  }
}
