// Reads the discovery service's fleet map stream (GET /fleet/events, server-sent events) and
// records, per member, the performance.now() of the first frame that showed it down.
import { performance } from "node:perf_hooks";
import { sseFrames } from "../../test/helpers/sse.ts";

interface Frame {
  devices: { members: { cell_id: string; status: string }[] }[];
}

export interface FleetEvents {
  /** When a frame first showed `cellId` down after `since` (a performance.now() time), or undefined. */
  downAt(cellId: string, since: number): number | undefined;
  close(): void;
}

export async function watchFleetEvents(discoveryUrl: string): Promise<FleetEvents> {
  const abort = new AbortController();
  const res = await fetch(`${discoveryUrl}/fleet/events`, { signal: abort.signal });
  if (!res.ok || !res.body) throw new Error(`GET ${discoveryUrl}/fleet/events: HTTP ${res.status}`);
  const seenDown: { cellId: string; at: number }[] = [];
  void (async () => {
    try {
      for await (const frame of sseFrames<Frame>(res.body!)) {
        const at = performance.now();
        for (const d of frame.devices) for (const m of d.members) if (m.status === "down") seenDown.push({ cellId: m.cell_id, at });
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    downAt: (cellId, since) => seenDown.find((s) => s.cellId === cellId && s.at >= since)?.at,
    close: () => abort.abort(),
  };
}
