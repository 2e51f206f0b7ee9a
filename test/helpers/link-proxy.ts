// A TCP proxy standing in for the network between two devices (this kernel has no netem): every
// byte waits `delayMs` in each direction, and the link can be cut and healed. A cut resets the
// connections through it and refuses new ones until it heals, as a dropped route or a peer gone
// off the Wi-Fi does. Test and bench tooling: it listens on 127.0.0.1 only.
import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export interface LinkProxy {
  /** The port to dial instead of the target's. */
  port: number;
  /** Milliseconds each chunk is held in each direction; may change at any time. */
  delayMs: number;
  readonly isCut: boolean;
  /** Resets every connection through the link and refuses new ones. */
  cut(): void;
  heal(): void;
  /** Connections through it now. */
  connections(): number;
  close(): Promise<void>;
}

/** Forwards `from` to `to`, each chunk `delay()` ms late, in order (also when the delay changes). */
function delayed(from: Socket, to: Socket, delay: () => number): void {
  const queue: { at: number; send: () => void }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const drain = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length && queue[0]!.at <= now) queue.shift()!.send();
    if (queue.length) timer = setTimeout(drain, queue[0]!.at - now);
  };
  const later = (send: () => void): void => {
    const at = Math.max(performance.now() + delay(), queue.at(-1)?.at ?? 0);
    queue.push({ at, send });
    timer ??= setTimeout(drain, at - performance.now());
  };
  from.on("data", (chunk: Buffer) => later(() => to.destroyed || to.write(chunk)));
  // an end or a close passes after the bytes before it
  from.on("end", () => later(() => to.end()));
  from.on("close", () => later(() => to.destroy()));
}

export async function startLinkProxy(target: { host?: string; port: number }, delayMs = 0): Promise<LinkProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let cut = false;
  const server: Server = createServer((inbound) => {
    inbound.on("error", () => undefined); // a reset is one of the things this link does
    if (cut) {
      inbound.resetAndDestroy();
      return;
    }
    const outbound = connect({ host: target.host ?? "127.0.0.1", port: target.port });
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    outbound.on("error", () => undefined);
    for (const s of pair) {
      s.setNoDelay(true);
      s.on("close", () => pairs.delete(pair));
    }
    delayed(inbound, outbound, () => proxy.delayMs);
    delayed(outbound, inbound, () => proxy.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy: LinkProxy = {
    port: (server.address() as AddressInfo).port,
    delayMs,
    get isCut() {
      return cut;
    },
    cut() {
      cut = true;
      for (const [a, b] of pairs) {
        a.resetAndDestroy();
        b.resetAndDestroy();
      }
      pairs.clear();
    },
    heal() {
      cut = false;
    },
    connections: () => pairs.size,
    close: () =>
      new Promise((resolve) => {
        proxy.cut();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
