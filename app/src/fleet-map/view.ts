// The fleet map's data: the network view grouped by device, with the network's mean level and
// coherence and whether each device's bus link is up (a member of it heartbeats over the bus).
import { cellLevels, type PeerView } from "../lib/presence.ts";
import { networkView } from "../lib/level.ts";

export interface FleetMember {
  cell_id: string;
  role: string;
  level: number;
  status: "up" | "down";
  last_heartbeat: string;
  transport: "bus" | "http";
}

export interface FleetDevice {
  device: string;
  /** "up": a member heartbeats over the bus; "down": its bus members are all down; "none": HTTP-only members. */
  bus: "up" | "down" | "none";
  members: FleetMember[];
}

export interface FleetView {
  at: string;
  mean_level: number;
  coherence: number;
  cells_up: number;
  devices: FleetDevice[];
}

export function fleetView(peers: PeerView[], now = new Date()): FleetView {
  const byDevice = new Map<string, PeerView[]>();
  for (const p of peers) byDevice.set(p.device, [...(byDevice.get(p.device) ?? []), p]);
  const devices = [...byDevice]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([device, members]): FleetDevice => {
      const onBus = members.filter((m) => m.transport === "bus");
      return {
        device,
        bus: onBus.length === 0 ? "none" : onBus.some((m) => m.up) ? "up" : "down",
        members: members.map((m) => ({
          cell_id: m.cell_id,
          role: m.role,
          level: m.consciousness_level,
          status: m.up ? "up" : "down",
          last_heartbeat: m.heartbeat,
          transport: m.transport,
        })),
      };
    });
  const levels = cellLevels(peers);
  const net = networkView(levels);
  return { at: now.toISOString(), mean_level: net.mean_level, coherence: net.coherence, cells_up: levels.length, devices };
}

export const fleetViewSchema = {
  type: "object",
  properties: {
    at: { type: "string" },
    mean_level: { type: "number" },
    coherence: { type: "number" },
    cells_up: { type: "integer" },
    devices: {
      type: "array",
      items: {
        type: "object",
        properties: {
          device: { type: "string" },
          bus: { type: "string", enum: ["up", "down", "none"] },
          members: {
            type: "array",
            items: {
              type: "object",
              properties: {
                cell_id: { type: "string" },
                role: { type: "string" },
                level: { type: "number" },
                status: { type: "string", enum: ["up", "down"] },
                last_heartbeat: { type: "string" },
                transport: { type: "string", enum: ["bus", "http"] },
              },
            },
          },
        },
      },
    },
  },
} as const;
