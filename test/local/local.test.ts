// `npm run local` as a user runs it: the launcher prints every URL, the services answer and see
// each other, and Ctrl-C (SIGINT) leaves no process behind.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Signing } from "../../app/src/lib/signing.ts";
import { signerOf } from "../helpers/signing.ts";
import { hasTool } from "../helpers/tools.ts";
import { waitFor } from "../helpers/ports.ts";

const LOCAL = resolve(import.meta.dirname, "../../tools/local.ts");
const CELLS = ["alpha", "beta", "father", "nous"];

interface Row {
  name: string;
  role: string;
  url: string;
  pid: number;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!hasTool("nats-server"))("npm run local", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "aios-local-"));
  let launcher: ChildProcess;
  let out = "";
  let rows: Row[] = [];
  const exited = (): Promise<number | null> =>
    new Promise((r) => (launcher.exitCode !== null ? r(launcher.exitCode) : launcher.once("exit", (code) => r(code))));

  beforeAll(async () => {
    launcher = spawn(process.execPath, [LOCAL, "--base-port", "0", "--data-dir", dataDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    launcher.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    launcher.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    await waitFor(
      "the launcher to print ready",
      () => {
        if (launcher.exitCode !== null) throw new Error(`launcher exited ${launcher.exitCode}: ${out}`);
        return out.includes("ready:");
      },
      60_000,
      100,
    );
    rows = [...out.matchAll(/^(\S+)\s+(\S+)\s+\S+\s+((?:http|nats):\/\/127\.0\.0\.1:\d+)\s+(\d+)$/gm)].map((m) => ({
      name: m[1]!,
      role: m[2]!,
      url: m[3]!,
      pid: Number(m[4]),
    }));
  }, 90_000);

  afterAll(() => {
    if (launcher.exitCode === null) launcher.kill("SIGKILL");
    for (const r of rows) if (alive(r.pid)) process.kill(r.pid, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("prints a URL for the bus, every cell and discovery, all on 127.0.0.1", () => {
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(["nats", "discovery", ...CELLS]));
    expect(new Set(rows.map((r) => r.url)).size).toBe(rows.length);
  });

  it("points at the fleet map, the discovery service's page, which answers", async () => {
    const discovery = rows.find((r) => r.name === "discovery")!;
    expect(out).toContain(`fleet map (live, in a browser): ${discovery.url}/\n`);
    const page = await fetch(`${discovery.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>AIOS fleet</title>");
  });

  it("makes every identity it needs in 0600 files of a 0700 directory, and prints none of them", () => {
    const dir = join(dataDir, "identities");
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    // each member its own bus password, each device its own token, the operator's, the bus config
    for (const n of ["bus-father", "bus-beta", "bus-discovery", "token-desktop", "token-laptop", "token-phone", "operator-token", "operator-bus", "nats.conf", "secrets.conf"]) {
      expect(files).toContain(n);
    }
    const logs = readdirSync(join(dataDir, "logs")).map((f) => readFileSync(join(dataDir, "logs", f), "utf8")).join("\n");
    expect(logs).not.toMatch(/Violation/); // every member works within its permissions
    for (const f of files) {
      expect(statSync(join(dir, f)).mode & 0o777, f).toBe(0o600);
      if (/^(bus-|token-|operator-)/.test(f)) {
        const secret = readFileSync(join(dir, f), "utf8").trim();
        expect(secret.length, f).toBeGreaterThanOrEqual(16);
        expect(out, f).not.toContain(secret);
        expect(logs, f).not.toContain(secret);
      }
    }
  });

  it("every member signs as its own bus user: it runs with the fleet's key and its own certificate, which its startup accepted", () => {
    const members = rows.filter((r) => r.url.startsWith("http"));
    expect(members.length).toBeGreaterThan(CELLS.length);
    const fleetKeys = new Set<string>();
    for (const r of members) {
      // what the launcher gave the process (Linux's view of its environment)
      const env = Object.fromEntries(readFileSync(`/proc/${r.pid}/environ`, "utf8").split("\0").filter(Boolean).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
      const password = readFileSync(env.AIOS_NATS_TOKEN_FILE!, "utf8").trim();
      const signing = new Signing({ member: env.AIOS_NATS_USER!, role: env.AIOS_ROLE!, password, cert: env.AIOS_BUS_CERT!, fleetKey: env.AIOS_BUS_FLEET_KEY! });
      expect(signerOf(signing), r.name).toEqual({ member: r.name, role: r.role });
      fleetKeys.add(env.AIOS_BUS_FLEET_KEY!);
    }
    expect(fleetKeys.size).toBe(1);
  });

  it("the operator's token opens every member; the phone's opens only the phone's cell", async () => {
    const token = (f: string) => readFileSync(join(dataDir, "identities", f), "utf8").trim();
    const evolve = (name: string, t: string) =>
      fetch(`${rows.find((r) => r.name === name)!.url}/consciousness/evolve`, {
        method: "POST",
        headers: { authorization: `Bearer ${t}`, "content-type": "application/json" },
        body: "{}",
      }).then((r) => r.status);
    expect(await evolve("father", token("operator-token"))).toBe(200);
    expect(await evolve("beta", token("operator-token"))).toBe(200);
    expect(await evolve("beta", token("token-phone"))).toBe(200);
    expect(await evolve("father", token("token-phone"))).toBe(401);
    expect(await evolve("father", token("token-laptop"))).toBe(200); // the laptop's sync organelle evolves the desktop's cells
  });

  it("every service answers /health", async () => {
    for (const r of rows.filter((x) => x.url.startsWith("http"))) {
      const res = await fetch(`${r.url}/health`);
      expect(res.status, r.name).toBe(200);
      expect(((await res.json()) as { role: string }).role).toBe(r.role);
    }
  });

  it("the cells see each other up in /peers", async () => {
    for (const r of rows.filter((x) => CELLS.includes(x.name))) {
      await waitFor(`${r.name} to see every cell up`, async () => {
        const { peers } = (await (await fetch(`${r.url}/peers`)).json()) as { peers: { cell_id: string; status: string }[] };
        const up = peers.filter((p) => p.status === "up").map((p) => p.cell_id);
        return CELLS.every((c) => up.includes(c));
      });
    }
  });

  it("stops everything on SIGINT and exits 0", async () => {
    expect(rows.every((r) => alive(r.pid))).toBe(true);
    const code = exited();
    launcher.kill("SIGINT");
    expect(await code).toBe(0);
    expect(rows.filter((r) => alive(r.pid)).map((r) => r.name)).toEqual([]);
  }, 30_000);
});

describe("npm run local --help and bad flags", () => {
  it("--help prints the usage", () => {
    const r = spawnSync(process.execPath, [LOCAL, "--help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("--base-port");
  });

  it("a bad --base-port is refused naming the flag", () => {
    const r = spawnSync(process.execPath, [LOCAL, "--base-port", "x"], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--base-port");
  });
});
