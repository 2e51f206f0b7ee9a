// What `npm run local` runs: the desktop's bus, cells and discovery, the laptop's and phone's cells,
// and every organelle role the app provides, each on its usual port when that port is free.
import { createServer } from "node:net";

export interface ServicePlan {
  name: string;
  role: string;
  device: string;
  port: number;
}

const CELLS: Omit<ServicePlan, "port">[] = [
  { name: "father", role: "cell", device: "desktop" },
  { name: "discovery", role: "discovery", device: "desktop" },
  { name: "nous", role: "cell", device: "desktop" },
  { name: "alpha", role: "cell", device: "laptop" },
  { name: "beta", role: "cell", device: "phone" },
];
export const ORGANELLES = ["network-listener", "vscode-bridge", "consciousness-sync", "task-dispatcher"];

const USUAL_PORTS: Record<string, number> = {
  nats: 4222,
  father: 8000,
  discovery: 8001,
  nous: 8002,
  alpha: 8010,
  beta: 8011,
  "network-listener": 3000,
  "vscode-bridge": 3001,
  "consciousness-sync": 3002,
  "task-dispatcher": 3003,
};

/** Listens on 127.0.0.1:`port` (0: any) and returns the port it got, or undefined when taken. */
function tryPort(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(undefined));
    srv.listen(port, "127.0.0.1", () => {
      const got = (srv.address() as { port: number }).port;
      srv.close(() => resolve(got));
    });
  });
}

/**
 * Ports for every service. basePort undefined: the usual ports, a free one where taken;
 * 0: free ports only (tests); n: n, n+1, ... in plan order.
 */
export async function assignPorts(names: string[], basePort: number | undefined): Promise<Map<string, number>> {
  const ports = new Map<string, number>();
  for (const [i, name] of names.entries()) {
    const wanted = basePort === undefined ? (USUAL_PORTS[name] ?? 0) : basePort === 0 ? 0 : basePort + i;
    const taken = new Set(ports.values());
    let port = await tryPort(wanted);
    if (port !== undefined && taken.has(port)) port = undefined; // the kernel may repeat a free port
    if (port === undefined && wanted !== 0 && basePort !== undefined) {
      throw new Error(`port ${wanted} for ${name} is taken (choose another --base-port)`);
    }
    for (let tries = 0; port === undefined && tries < 20; tries++) {
      const p = await tryPort(0);
      if (p !== undefined && !taken.has(p)) port = p;
    }
    if (port === undefined) throw new Error(`no free port found for ${name}`);
    ports.set(name, port);
  }
  return ports;
}

/** The app's services for this build: cells, discovery, and the organelles that `available` lists. */
export function planServices(available: Set<string>): Omit<ServicePlan, "port">[] {
  return [
    ...CELLS,
    ...ORGANELLES.filter((r) => available.has(r)).map((role) => ({ name: role, role, device: "laptop" })),
  ];
}
