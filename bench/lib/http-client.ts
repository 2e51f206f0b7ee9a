// A steady HTTP client for the open-loop benches: node:http over a fixed pool of keep-alive
// connections, as a real sender would hold. (fetch costs the load generator several times the
// CPU per request, and on 2 cores that CPU is taken from the services being measured.)
import { Agent, request } from "node:http";

export function httpClient(baseUrl: string, connections = 16) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const post = (path: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const req = request(`${baseUrl}${path}`, { method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}
