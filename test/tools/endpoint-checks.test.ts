// How `npm run endpoints` judges what it finds: an HTTPS endpoint signed by the stack's own CA
// (trusted from the caCertificate output), an answer from behind the dashboards' login, and the
// hub's tls:// leaf port (a TCP check). Local servers on 127.0.0.1 stand in for Traefik and NATS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasTool } from "../helpers/tools.ts";
import { freePort } from "../helpers/ports.ts";
import { fakePulumi, runTool, type FakePulumi } from "./fake-pulumi.ts";

const listen = async (server: Server | ReturnType<typeof createTcpServer>) => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
};

describe.runIf(hasTool("openssl"))("endpoint checks", () => {
  let dir: string;
  let ca: string;
  let fake: FakePulumi;
  const servers: { close(): void }[] = [];
  let httpsUrl: string;
  let loginUrl: string;
  let hubUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "aios-ca-"));
    // a self-signed certificate for 127.0.0.1 plays the stack's LAN CA and the service's certificate
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=AIOS test CA",
      "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    ca = readFileSync(join(dir, "cert.pem"), "utf8");
    const tls = createHttpsServer({ key: readFileSync(join(dir, "key.pem")), cert: ca }, (req, res) => {
      res.writeHead(req.url === "/api/health" ? 200 : 404, { "content-type": "application/json" }).end('{"database":"ok"}');
    });
    const login = createHttpServer((_req, res) => res.writeHead(401, { "www-authenticate": 'Basic realm="traefik"' }).end("401 Unauthorized\n"));
    const hub = createTcpServer((s) => s.end());
    httpsUrl = `https://127.0.0.1:${await listen(tls)}`;
    loginUrl = `http://127.0.0.1:${await listen(login)}`;
    hubUrl = `tls://127.0.0.1:${await listen(hub)}`;
    servers.push(tls, login, hub);
    fake = fakePulumi();
  });

  afterAll(() => {
    for (const s of servers) s.close();
    fake?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (stack: string, outputs: object) => {
    fake.answer("stack", stack, { stdout: `${JSON.stringify(outputs, null, 2)}\n` });
    return runTool("endpoints", [stack], { cwd: dir, env: { PATH: `${fake.dir}:/usr/bin:/bin` } });
  };
  const statuses = (stdout: string) =>
    stdout.trim().split("\n").slice(1).map((l) => l.split(/ {2,}/)).map((r) => [r[1], r[3]]);

  it("trusts the stack's own CA from its caCertificate output for https endpoints", async () => {
    const trusted = await run("desktop", { caCertificate: ca, endpoints: { grafana: httpsUrl } });
    expect(statuses(trusted.stdout)).toEqual([["grafana", "up"]]);
    expect(trusted.code).toBe(0);
    const untrusted = await run("laptop", { endpoints: { grafana: httpsUrl } });
    expect(statuses(untrusted.stdout)).toEqual([
      ["grafana", "down (certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT); set NODE_EXTRA_CA_CERTS to the CA file)"],
    ]);
    expect(untrusted.code).toBe(2);
  });

  it("counts an answer from behind the dashboards' login as reachable, not down", async () => {
    const r = await run("desktop", { endpoints: { prometheus: loginUrl } });
    expect(statuses(r.stdout)).toEqual([["prometheus", "login required (HTTP 401)"]]);
    expect(r.code).toBe(0);
  });

  it("checks a tls:// bus endpoint by opening a TCP connection", async () => {
    const deadHubUrl = `tls://127.0.0.1:${await freePort()}`; // taken just before use: other suites take ports too
    const r = await run("vps", { endpoints: { nats: hubUrl, "nats-old": deadHubUrl } });
    expect(statuses(r.stdout)).toEqual([
      ["nats", "up (tcp)"],
      ["nats-old", "down (connection refused)"],
    ]);
    expect(r.code).toBe(2);
  });
});
