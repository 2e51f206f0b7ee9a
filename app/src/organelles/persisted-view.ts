// The network view an organelle serves, kept in its data directory so a restarted organelle
// still answers with what it last knew while the bus is away ("source": "saved"), and follows
// the bus again as soon as it returns ("source": "bus"). Saved every heartbeat when changed.
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { PeerView } from "../lib/presence.ts";
import { readJson, writeFileDurable } from "../lib/durable-file.ts";

interface Saved<E> {
  saved_at: string;
  peers: PeerView[];
  extra: E;
}

export interface CurrentView {
  source: "bus" | "saved";
  /** When the saved view was taken (null while nothing was ever saved). */
  saved_at: string | null;
  peers: PeerView[];
}

export class PersistedView<E> {
  private readonly file: string;
  private saved: Saved<E> | undefined;
  private lastText = "";
  private readonly app: FastifyInstance;
  /** Role-specific state saved with the view (history, LAN services, ...). */
  extra: E;

  constructor(app: FastifyInstance, name: string, initialExtra: E) {
    this.app = app;
    this.file = join(app.config.dataDir, name);
    this.saved = readJson<Saved<E>>(this.file);
    this.extra = this.saved?.extra ?? initialExtra;
    const timer = setInterval(() => this.save(), app.config.heartbeatMs);
    timer.unref();
    app.addHook("preClose", async () => {
      clearInterval(timer);
      this.save();
    });
  }

  current(): CurrentView {
    if (this.app.presence.ready) return { source: "bus", saved_at: this.saved?.saved_at ?? null, peers: this.app.presence.view() };
    return { source: "saved", saved_at: this.saved?.saved_at ?? null, peers: this.saved?.peers ?? [] };
  }

  /** Writes the view and extra state when either changed since the last write. */
  save(): void {
    const peers = this.app.presence.ready ? this.app.presence.view() : (this.saved?.peers ?? []);
    // compare without heartbeat times, which change every beat
    const text = JSON.stringify({ p: peers.map(({ heartbeat: _h, ...p }) => p), e: this.extra });
    if (text === this.lastText) return;
    this.lastText = text;
    this.saved = { saved_at: new Date().toISOString(), peers, extra: this.extra };
    try {
      writeFileDurable(this.file, JSON.stringify(this.saved));
    } catch (err) {
      this.app.log.warn(`cannot save ${this.file}: ${(err as Error).message}`);
    }
  }
}
