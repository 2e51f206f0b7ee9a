// Reads the discovery service's fleet map stream (GET /fleet/events, server-sent events) and
// records, per member, the performance.now() of the first frame that showed it down.
import { performance } from "node:perf_hooks";

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
    let buf = "";
    try {
      for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          const event = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = event.split("\n").find((l) => l.startsWith("data: "));
          if (!data) continue;
          const at = performance.now();
          const frame = JSON.parse(data.slice(6)) as Frame;
          for (const d of frame.devices) for (const m of d.members) if (m.status === "down") seenDown.push({ cellId: m.cell_id, at });
        }
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
