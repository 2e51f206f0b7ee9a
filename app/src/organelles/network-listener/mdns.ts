// mDNS on the LAN (best-effort): announces this service as _aios._tcp and browses for the
// others. The bus stays the source of truth; any mDNS failure is recorded, never thrown.
// A service that leaves without a goodbye (powered off, out of Wi-Fi) is dropped once unheard
// for `expireMs`: the LAN is asked again every third of that, and every live service answers.
import type { EventEmitter } from "node:events";
import { Bonjour, type Browser, type Service } from "bonjour-service";

const TYPE_SUFFIX = "._aios._tcp.local";

export interface LanService {
  name: string;
  host: string;
  port: number;
  addresses: string[];
  role: string | null;
  device: string | null;
  url: string | null;
  /** When this service was last heard from (its announcement or an answer naming it). */
  last_seen: string;
}

export interface MdnsStatus {
  enabled: boolean;
  /** True while this service is published and the last mDNS send succeeded. */
  announcing: boolean;
  error: string | null;
}

type SendCallback = (err?: Error | null) => void;
type Send = (packet: unknown, rinfo?: unknown, cb?: SendCallback) => void;
interface DnsRecord {
  name?: unknown;
  type?: unknown;
  ttl?: unknown;
  data?: unknown;
}
/** The multicast-dns instance inside bonjour-service (not part of its typed API). */
type MulticastDns = EventEmitter & { send: Send };

export class Mdns {
  private bonjour: Bonjour | undefined;
  private browser: Browser | undefined;
  private readonly found = new Map<string, LanService>();
  private readonly self: string;
  private published = false;
  private readonly sweeper: NodeJS.Timeout | undefined;
  readonly status: MdnsStatus;
  onChange: () => void = () => {};

  constructor(
    enabled: boolean,
    self: { name: string; port: number; txt: Record<string, string> },
    known: LanService[],
    expireMs: number,
  ) {
    this.self = self.name;
    // a view saved before own-name filtering may still list this service
    for (const s of known) if (s.name !== self.name) this.found.set(s.name, s);
    this.status = { enabled, announcing: false, error: null };
    if (!enabled) return;
    this.sweeper = setInterval(() => this.sweep(expireMs), expireMs / 3);
    this.sweeper.unref();
    const fail = (err: unknown): void => {
      this.status.error = (err as Error)?.message ?? String(err);
      this.status.announcing = false;
    };
    try {
      this.bonjour = new Bonjour({}, fail);
      const mdns = (this.bonjour as unknown as { server: { mdns: MulticastDns } }).server.mdns;
      // multicast-dns emits "error" (no multicast, port taken): an unheard "error" would crash the process
      mdns.on("error", fail);
      // bonjour-service ignores send errors (e.g. ENETUNREACH without a multicast route) and still
      // emits "up"; multicast-dns reports them only to the send callback, so observe every send here.
      const send = mdns.send.bind(mdns);
      mdns.send = (packet, rinfo, cb) => {
        if (typeof rinfo === "function") [rinfo, cb] = [undefined, rinfo as SendCallback];
        send(packet, rinfo, (err) => {
          if (err) fail(new Error(`mDNS send failed: ${err.message}`));
          else if (this.status.error) {
            this.status.error = null;
            this.status.announcing = this.published;
          }
          cb?.(err);
        });
      };
      // re-announcements and answers do not reach the browser's events unless something changed
      mdns.on("response", (packet: { answers?: DnsRecord[]; additionals?: DnsRecord[] }) => this.heard(packet));
      const service = this.bonjour.publish({ name: self.name, type: "aios", port: self.port, txt: self.txt, probe: false });
      service.on("up", () => {
        this.published = true;
        this.status.announcing = this.status.error === null;
      });
      service.on("error", fail);
      this.browse();
    } catch (err) {
      fail(err);
    }
  }

  /** Starts a browser (it asks the LAN at once) that reports services into `found`. */
  private browse(): void {
    if (!this.bonjour) return;
    this.browser = this.bonjour.find({ type: "aios" });
    this.browser.on("up", (s: Service) => this.add(s));
    this.browser.on("srv-update", (s: Service) => this.add(s));
    this.browser.on("txt-update", (s: Service) => this.add(s));
    // "down": a goodbye (TTL 0) from a service that stopped
    this.browser.on("down", (s: Service) => {
      if (this.found.delete(s.name)) this.onChange();
    });
  }

  private add(s: Service): void {
    if (s.name === this.self) return; // multicast loops our own announcement back
    const txt = (s.txt ?? {}) as Record<string, unknown>;
    const text = (k: string): string | null => (typeof txt[k] === "string" ? (txt[k] as string) : null);
    this.found.set(s.name, {
      name: s.name,
      host: s.host,
      port: s.port,
      addresses: s.addresses ?? [],
      role: text("role"),
      device: text("device"),
      url: text("url"),
      last_seen: new Date().toISOString(),
    });
    this.onChange();
  }

  /** Moves last_seen of every known service that a response names (SRV, TXT, or PTR to it). */
  private heard(packet: { answers?: DnsRecord[]; additionals?: DnsRecord[] }): void {
    const now = new Date().toISOString();
    let changed = false;
    for (const rr of [...(packet.answers ?? []), ...(packet.additionals ?? [])]) {
      if (typeof rr.ttl !== "number" || rr.ttl <= 0) continue; // a goodbye is not a sign of life
      const fqdn = rr.type === "PTR" ? rr.data : rr.type === "SRV" || rr.type === "TXT" ? rr.name : undefined;
      if (typeof fqdn !== "string" || !fqdn.toLowerCase().endsWith(TYPE_SUFFIX)) continue;
      const name = fqdn.slice(0, -TYPE_SUFFIX.length);
      const known = this.found.get(name);
      if (known && known.last_seen !== now) {
        this.found.set(name, { ...known, last_seen: now });
        changed = true;
      }
    }
    if (changed) this.onChange();
  }

  /** Drops services unheard for `expireMs`, then asks the LAN again for the living. */
  private sweep(expireMs: number): void {
    const cutoff = Date.now() - expireMs;
    let changed = false;
    for (const [name, s] of this.found) {
      if (Date.parse(s.last_seen) >= cutoff) continue;
      this.found.delete(name);
      changed = true;
    }
    try {
      if (changed) {
        this.onChange();
        // a fresh browser, or one that comes back would count as known to the old one and never be "up" again
        this.browser?.stop();
        this.browse();
      } else {
        this.browser?.update();
      }
    } catch {
      // a failed send is recorded by the send hook; the next sweep asks again
    }
  }

  services(): LanService[] {
    return [...this.found.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  stop(): Promise<void> {
    clearInterval(this.sweeper);
    const b = this.bonjour;
    this.bonjour = undefined;
    if (!b) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        this.browser?.stop();
        b.unpublishAll(() => b.destroy(() => resolve()));
      } catch {
        resolve();
      }
      setTimeout(resolve, 1000).unref(); // never hold a shutdown on mDNS
    });
  }
}
