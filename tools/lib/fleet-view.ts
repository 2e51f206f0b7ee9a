// Where `npm run fleet` reads the network view from: the discovery service's GET /peers, or the
// presence bucket on the bus directly (the same records cells heartbeat, see app/src/lib/presence.ts).
import { connect, type KV } from "nats";
import { z } from "zod";
import { probe } from "./probe.ts";
import { mayWritePresence, PRESENCE_BUCKET, type PresenceRecord } from "../../app/src/lib/presence.ts";
import { kvScope, unsigned, type Opener } from "../../app/src/lib/signing.ts";
import { maskUrl } from "../../app/src/lib/mask.ts";

export interface FleetCell {
  cell_id: string;
  role: string;
  device: string;
  url: string;
  level: number;
  up: boolean;
  last_heartbeat: string;
}

const peersResponse = z.object({
  peers: z.array(
    z.object({
      cell_id: z.string(),
      role: z.string(),
      device: z.string(),
      url: z.string(),
      consciousness_level: z.number(),
      last_heartbeat: z.string(),
      status: z.enum(["up", "down"]),
    }),
  ),
});

export async function fromDiscovery(baseUrl: string, timeoutMs: number, ca?: string): Promise<FleetCell[]> {
  const url = `${baseUrl.replace(/\/+$/, "")}/peers`;
  const r = await probe(url, timeoutMs, { ca });
  if (!r.up) throw new Error(`cannot read the network view from the discovery service at ${url}: ${r.reason}`);
  const parsed = peersResponse.safeParse(r.body);
  if (!parsed.success) throw new Error(`${url} did not answer with the network view (is it a discovery service?)`);
  return parsed.data.peers.map((p) => ({
    cell_id: p.cell_id,
    role: p.role,
    device: p.device,
    url: p.url,
    level: p.consciousness_level,
    up: p.status === "up",
    last_heartbeat: p.last_heartbeat,
  }));
}

/**
 * The latest record of every key: a watcher replays the last value per key, then reports it has
 * caught up. (kv.keys() can end early while cells heartbeat into the bucket.)
 */
async function snapshot(kv: KV, timeoutMs: number, opener: Opener, refused: string[]): Promise<PresenceRecord[]> {
  const latest = new Map<string, PresenceRecord>();
  let caughtUp = false;
  let iter: Awaited<ReturnType<KV["watch"]>> | undefined = undefined;
  const finish = () => {
    caughtUp = true;
    iter?.stop();
  };
  iter = await kv.watch({ key: ">", initializedFn: finish });
  if (caughtUp) iter.stop();
  const deadline = setTimeout(() => iter.stop(), timeoutMs);
  for await (const e of iter) {
    latest.delete(e.key);
    if (e.operation !== "PUT") continue;
    // checked as the app's own view checks it; a refused or malformed record is left out
    const r = opener.open<PresenceRecord>(kvScope(PRESENCE_BUCKET, e.key), e.string(), mayWritePresence(e.key));
    if (r.ok && r.value.cell_id === e.key) latest.set(e.key, r.value);
    else refused.push(`${e.key} (${r.ok ? "names another cell" : r.reason})`);
  }
  clearTimeout(deadline);
  return [...latest.values()];
}

/** A bus URL fit to print: credentials in it are masked. */

/**
 * Reads every record of the presence bucket once; a record is up like in the app: fresh and not
 * stopped. With `opener` a fleet key's verifier, records not signed by their member (or
 * discovery) are left out, and named in `refused`.
 */
export async function fromBus(
  servers: string[],
  opts: { user?: string | undefined; token: string | undefined; downAfterMs: number; timeoutMs: number; opener?: Opener; refused?: string[] },
): Promise<FleetCell[]> {
  const where = servers.map(maskUrl).join(", ");
  let nc;
  try {
    // the operator's own bus user (stack output operatorBusPassword) where members have users
    const auth = opts.user ? { user: opts.user, pass: opts.token } : { token: opts.token };
    nc = await connect({ servers, ...auth, timeout: opts.timeoutMs, reconnect: false, name: "aios-fleet-cli" });
  } catch (err) {
    throw new Error(`cannot reach the bus at ${where}: ${(err as Error).message}`, { cause: err });
  }
  try {
    let records: PresenceRecord[];
    try {
      const kv = await nc.jetstream({ timeout: opts.timeoutMs }).views.kv(PRESENCE_BUCKET, { bindOnly: true });
      records = await snapshot(kv, opts.timeoutMs, opts.opener ?? unsigned, opts.refused ?? []);
    } catch (err) {
      const msg = (err as Error).message;
      throw new Error(
        /stream not found/.test(msg)
          ? `no presence bucket "${PRESENCE_BUCKET}" on the bus at ${where} (no cell has joined yet?)`
          : `cannot read the presence bucket "${PRESENCE_BUCKET}" on the bus at ${where}: ${msg}`,
        { cause: err },
      );
    }
    const now = Date.now();
    return records.map((r) => ({
      cell_id: r.cell_id,
      role: r.role,
      device: r.device,
      url: r.url,
      level: r.consciousness_level,
      up: !r.stopped && now - Date.parse(r.heartbeat) <= opts.downAfterMs,
      last_heartbeat: r.heartbeat,
    }));
  } finally {
    await nc.close();
  }
}
