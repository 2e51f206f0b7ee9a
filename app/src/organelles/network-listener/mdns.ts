// mDNS on the LAN (best-effort): announces this service as _aios._tcp and browses for the
// others. The bus stays the source of truth; any mDNS failure is recorded, never thrown.
import type { EventEmitter } from "node:events";
import { Bonjour, type Browser, type Service } from "bonjour-service";

export interface LanService {
  name: string;
  host: string;
  port: number;
  addresses: string[];
  role: string | null;
  device: string | null;
  url: string | null;
  last_seen: string;
}

export interface MdnsStatus {
  enabled: boolean;
  announcing: boolean;
  error: string | null;
}

export class Mdns {
  private bonjour: Bonjour | undefined;
  private browser: Browser | undefined;
  private readonly found = new Map<string, LanService>();
  readonly status: MdnsStatus;
  onChange: () => void = () => {};

  constructor(enabled: boolean, self: { name: string; port: number; txt: Record<string, string> }, known: LanService[]) {
    for (const s of known) this.found.set(s.name, s);
    this.status = { enabled, announcing: false, error: null };
    if (!enabled) return;
    const fail = (err: unknown): void => {
      this.status.error = (err as Error)?.message ?? String(err);
      this.status.announcing = false;
    };
    try {
      this.bonjour = new Bonjour({}, fail);
      // multicast-dns emits "error" (no multicast, port taken): an unheard "error" would crash the process
      (this.bonjour as unknown as { server: { mdns: EventEmitter } }).server.mdns.on("error", fail);
      const service = this.bonjour.publish({ name: self.name, type: "aios", port: self.port, txt: self.txt, probe: false });
      service.on("up", () => (this.status.announcing = true));
      service.on("error", fail);
      this.browser = this.bonjour.find({ type: "aios" });
      this.browser.on("up", (s: Service) => this.add(s));
      this.browser.on("srv-update", (s: Service) => this.add(s));
      this.browser.on("txt-update", (s: Service) => this.add(s));
    } catch (err) {
      fail(err);
    }
  }

  private add(s: Service): void {
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

  services(): LanService[] {
    return [...this.found.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  stop(): Promise<void> {
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
