// The open-loop benches' HTTP client: requests written straight onto a fixed pool of keep-alive
// sockets (pipelined, answers read back in order), as a lean sender on another device would.
// The load generator shares the 2 cores with the services it measures, so its CPU per request
// is taken from them: with node:http's client it spent 377 µs per message at 1,000/s, with this
// 235 (fetch costs several times node:http).
import { connect, type Socket } from "node:net";

interface Pending {
  resolve(res: { status: number; text: string }): void;
  reject(err: Error): void;
}

/** One keep-alive connection; answers are matched to requests by order (HTTP/1.1 pipelining). */
function connection(host: string, port: number): { socket: Socket; send(head: string, body: string): Promise<{ status: number; text: string }> } {
  const socket = connect({ host, port, noDelay: true });
  const pending: Pending[] = [];
  let buf = "";
  socket.setEncoding("latin1"); // byte-for-byte, so content-length counts match string lengths
  socket.on("data", (chunk: string) => {
    buf += chunk;
    for (;;) {
      const headEnd = buf.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buf.slice(0, headEnd))?.[1] ?? 0);
      if (buf.length < headEnd + 4 + length) return;
      const status = Number(buf.slice(9, 12));
      const text = Buffer.from(buf.slice(headEnd + 4, headEnd + 4 + length), "latin1").toString("utf8");
      buf = buf.slice(headEnd + 4 + length);
      pending.shift()?.resolve({ status, text });
    }
  });
  const fail = (err: Error): void => {
    for (const p of pending.splice(0)) p.reject(err);
  };
  socket.on("error", fail);
  socket.on("close", () => fail(new Error(`connection to ${host}:${port} closed`)));
  return {
    socket,
    send: (head, body) =>
      new Promise((resolve, reject) => {
        pending.push({ resolve, reject });
        socket.write(head + body, "utf8");
      }),
  };
}

export function httpClient(baseUrl: string, connections = 16) {
  const { hostname, port } = new URL(baseUrl);
  const pool = Array.from({ length: connections }, () => connection(hostname, Number(port)));
  let next = 0;
  const post = (path: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> => {
    const lines = Object.entries({ ...headers, host: `${hostname}:${port}`, "content-length": String(Buffer.byteLength(body)) }).map(([k, v]) => `${k}: ${v}\r\n`);
    const conn = pool[next++ % pool.length]!;
    return conn.send(`POST ${path} HTTP/1.1\r\n${lines.join("")}\r\n`, body);
  };
  return { post, close: () => pool.forEach((c) => c.socket.destroy()) };
}
