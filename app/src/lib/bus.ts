// The connection to the NATS bus. Connecting never blocks the service: a background loop tries
// the configured servers in order until one answers, then the client reconnects by itself.
// Features register `onUp` hooks that (re)create their JetStream resources after every
// connect or reconnect, because a restarted nats-server may have come back empty.
// The connection can be up while JetStream is not: a leaf server cut off from the hub (the one
// JetStream) still accepts clients. A probe asks JetStream every few seconds; while it does not
// answer the bus reports why (so /health says degraded), and when it answers again the hooks
// run again, as after a reconnect.
// TLS (config.ts NatsTls) maps onto nats.js's `tls` option: null never upgrades, undefined
// upgrades when the server offers TLS, an object requires it (handshakeFirst: TLS before the
// NATS protocol, as through Traefik; caFile: a private CA instead of the system roots).
import { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { maskUrl } from "./mask.ts";
import { connect, Events, type ConnectionOptions, type JetStreamClient, type JetStreamManager, type NatsConnection } from "nats";
import type { NatsTls } from "../config.ts";
import type { Sealer, Signer } from "./signing.ts";

export interface BusOptions {
  servers: string[];
  /** The member's own bus user; `token` is then its password. Unset, `token` is a plain token. */
  user?: string | undefined;
  token: string | undefined;
  tls: NatsTls;
  /** Signs what this member publishes and checks what it receives (lib/signing.ts). */
  sealer: Sealer;
  name: string;
  log: { info(msg: string): void; warn(msg: string): void };
}

function tlsOption(tls: NatsTls): ConnectionOptions["tls"] {
  if (tls.mode === "plain") return null;
  if (tls.mode === "offered") return undefined;
  return { handshakeFirst: tls.handshakeFirst, ...(tls.caFile ? { caFile: tls.caFile } : {}) };
}

/**
 * How the member signs in. With a user of its own, replies and pulled messages come to the
 * inbox prefix `_INBOX.<user>`, the only inbox subjects its permissions let it subscribe to
 * (infra/render/nats-permissions.ts).
 */
function authOptions(user: string | undefined, token: string | undefined): Partial<ConnectionOptions> {
  return user ? { user, pass: token, inboxPrefix: `_INBOX.${user}` } : { token };
}

/** What the bus refused this member, as nats.js reports it (a status event, not a thrown error). */
export interface Denial {
  operation: "publish" | "subscription";
  subject: string;
}

/** A payload refused for its signature: what it came on ("message", "presence", …) and why. */
export interface Rejection {
  channel: string;
  reason: string;
}

/**
 * At most one log line per channel and subject this often about refused payloads (a stream
 * replayed onto a subject is thousands), for at most this many subjects at once.
 */
const REJECT_LOG_MS = 5000;
const REJECT_LOG_LIMIT = 256;

/** How often a connected bus asks JetStream whether it answers. */
const JS_PROBE_MS = 2000;
/**
 * How soon it asks again while JetStream does not answer (a leaf cut off from its hub): the
 * outbox drains this soon after the link heals, instead of up to a whole probe interval later.
 */
const JS_RETRY_MS = 250;

/** Why the hooks run: a (re)connect, or JetStream answering again on a connection that stayed up. */
export type UpCause = "connect" | "jetstream";
type UpHook = (nc: NatsConnection, js: JetStreamClient, jsm: JetStreamManager, cause: UpCause) => Promise<void>;

export class Bus extends EventEmitter {
  nc: NatsConnection | undefined;
  js: JetStreamClient | undefined;
  connected = false;
  lastError: string | undefined = "not connected yet";
  private closed = false;
  private readonly hooks: UpHook[] = [];
  private hooksRunning: Promise<void> = Promise.resolve();
  /** True while the connection is up and JetStream does not answer. */
  private jsLost = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private probeTimer: NodeJS.Timeout | undefined;

  private readonly opts: BusOptions;
  /** When a refusal was last logged, by channel and subject, and how many were not logged since. */
  private readonly rejectLog = new Map<string, { at: number; more: number }>();

  constructor(opts: BusOptions) {
    super();
    this.opts = opts;
  }

  /** Runs `hook` after every (re)connect; if already connected, runs it now. */
  onUp(hook: UpHook): void {
    this.hooks.push(hook);
    if (this.connected && this.nc && this.js) void this.runHooks([hook], "connect");
  }

  start(): void {
    void this.connectLoop();
  }

  /**
   * `value` as JSON, signed as this member for `scope` (the subject or KV key it goes to); for
   * one receiver `to`, with their pair's HMAC once this member has seen that receiver's keys.
   */
  seal(scope: string, value: object, to?: string): string {
    return this.opts.sealer.seal(scope, value, to);
  }

  /**
   * A payload received on `scope`, if signed for it by a member `accept` takes; otherwise
   * undefined, counted (the "rejected" event) and logged.
   */
  open<T>(channel: string, scope: string, text: string, accept: (s: Signer) => boolean): T | undefined {
    const opened = this.opts.sealer.open<T>(scope, text, accept);
    if (opened.ok) return opened.value;
    this.emit("rejected", { channel, reason: opened.reason } satisfies Rejection);
    const now = Date.now();
    const where = `${channel} ${scope}`;
    const last = this.rejectLog.get(where);
    if (last && now - last.at < REJECT_LOG_MS) {
      last.more++;
    } else {
      const more = last?.more ? ` (and ${last.more} more refused since the last report)` : "";
      this.opts.log.warn(`refused a ${channel} on "${scope}": ${opened.reason}${more}`);
      if (this.rejectLog.size >= REJECT_LOG_LIMIT) this.rejectLog.clear();
      this.rejectLog.set(where, { at: now, more: 0 });
    }
    return undefined;
  }

  get server(): string | undefined {
    return this.nc?.getServer();
  }

  /** Connected, but JetStream did not answer its last probe: publishing would only time out. */
  get jetStreamLost(): boolean {
    return this.connected && this.jsLost;
  }

  private async connectLoop(): Promise<void> {
    let delay = 250;
    while (!this.closed) {
      try {
        const nc = await connect({
          servers: this.opts.servers,
          ...authOptions(this.opts.user, this.opts.token),
          tls: tlsOption(this.opts.tls),
          name: this.opts.name,
          noRandomize: true, // servers are tried in the configured order (LAN first, hub second)
          reconnect: true,
          maxReconnectAttempts: -1,
          // keep trying with credentials refused twice (nats.js gives up by default): a member
          // revoked and then restored, or started before the hub knows it, joins once allowed
          ignoreAuthErrorAbort: true,
          reconnectTimeWait: 250,
          timeout: 1000,
          pingInterval: 2000,
          maxPingOut: 2,
          // no Error (with its stack) built per request: a visible share of every publish's cost
          noAsyncTraces: true,
        });
        if (this.closed) {
          await nc.close();
          return;
        }
        this.nc = nc;
        this.js = nc.jetstream({ timeout: 2000 });
        this.watchStatus(nc);
        this.probeTimer = setInterval(() => void this.probeJetStream(nc), JS_PROBE_MS);
        this.probeTimer.unref();
        await this.markUp();
        return;
      } catch (err) {
        this.lastError = `cannot reach the bus at ${this.opts.servers.map(maskUrl).join(", ")}: ${(err as Error).message}`;
        await sleep(delay);
        // capped low so a member started while the bus was away joins within a second of its
        // return; a refused connection costs next to nothing, an unreachable one waits `timeout`
        delay = Math.min(delay * 2, 500);
      }
    }
  }

  private watchStatus(nc: NatsConnection): void {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === Events.Disconnect) {
          this.connected = false;
          this.lastError = `lost the bus connection to ${maskUrl(String(s.data))}; reconnecting`;
          this.opts.log.warn(this.lastError);
          this.emit("down");
        } else if (s.type === Events.Reconnect) {
          await this.markUp();
        } else if (s.type === Events.Error && "permissionContext" in s && s.permissionContext) {
          const denial = s.permissionContext as Denial;
          this.opts.log.warn(`the bus refused ${denial.operation === "publish" ? "a publish" : "a subscription"} to "${denial.subject}" (not allowed for ${this.opts.user ?? "this token"})`);
          this.emit("denied", denial);
        }
      }
    })();
  }

  private async probeJetStream(nc: NatsConnection): Promise<void> {
    if (!this.connected || this.probing || this.nc !== nc) return;
    this.probing = true;
    try {
      await nc.jetstreamManager({ timeout: JS_PROBE_MS }); // asks $JS.API.INFO
      if (this.jsLost) {
        this.jsLost = false;
        this.opts.log.info("JetStream answers again");
        await this.runHooks(this.hooks, "jetstream");
      }
    } catch (err) {
      if (!this.connected) return; // the disconnect is reported as such
      this.lastError = `JetStream unavailable: ${(err as Error).message}`;
      if (!this.jsLost) this.opts.log.warn(this.lastError);
      this.jsLost = true;
      if (!this.closed) this.retryTimer = setTimeout(() => void this.probeJetStream(nc), JS_RETRY_MS).unref();
    } finally {
      this.probing = false;
    }
  }

  private async markUp(): Promise<void> {
    this.connected = true;
    this.jsLost = false;
    this.lastError = undefined;
    this.opts.log.info(`connected to the bus at ${this.server ?? "?"}`);
    await this.runHooks(this.hooks, "connect");
    this.emit("up");
  }

  private runHooks(hooks: UpHook[], cause: UpCause): Promise<void> {
    const nc = this.nc!;
    const js = this.js!;
    this.hooksRunning = this.hooksRunning.then(async () => {
      const jsm = await nc.jetstreamManager({ timeout: 2000 }).catch((err: Error) => {
        this.lastError = `JetStream unavailable: ${err.message}`;
        return undefined;
      });
      const failed: UpHook[] = jsm ? [] : hooks;
      for (const hook of jsm ? hooks : []) {
        try {
          await hook(nc, js, jsm!, cause);
        } catch (err) {
          failed.push(hook);
          this.lastError = `bus setup failed: ${(err as Error).message}`;
          this.opts.log.warn(this.lastError);
        }
      }
      if (failed.length === 0 && this.connected) this.lastError = undefined;
      // Retry what failed while the connection lasts (JetStream can lag a fresh server).
      if (failed.length > 0) {
        setTimeout(() => {
          if (this.connected && this.nc === nc) void this.runHooks(failed, cause);
        }, 1000).unref();
      }
    });
    return this.hooksRunning;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.probeTimer);
    clearTimeout(this.retryTimer);
    const nc = this.nc;
    this.nc = undefined;
    this.connected = false;
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
  }
}
