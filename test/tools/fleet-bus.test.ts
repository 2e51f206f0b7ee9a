// `npm run fleet` on a bus that needs a token: the token comes from AIOS_NATS_TOKEN_FILE as in the
// app, and nothing secret is printed, not even credentials written into a bus URL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasTool } from "../helpers/tools.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { runTool } from "./fake-pulumi.ts";
import { connect } from "nats";
import { fleetPublicKey } from "../../app/src/lib/signing.ts";
import { signingFor } from "../helpers/signing.ts";

const TOKEN = "bus-token-0123456789abcdef";

describe.runIf(hasTool("nats-server"))("npm run fleet on a bus with a token", () => {
  let nats: NatsHandle;
  let dir: string;

  beforeAll(async () => {
    nats = await startNats(["--auth", TOKEN]);
    dir = mkdtempSync(join(tmpdir(), "aios-fleet-"));
    writeFileSync(join(dir, "nats-token"), `${TOKEN}\n`);
  });

  afterAll(async () => {
    await nats?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const fleet = (env: Record<string, string>) => runTool("fleet", [], { cwd: dir, env: { PATH: "/usr/bin:/bin", AIOS_NATS_URLS: nats.url, ...env } });

  it("reads the token from AIOS_NATS_TOKEN_FILE, and says when no cell has joined yet", async () => {
    const run = await fleet({ AIOS_NATS_TOKEN_FILE: join(dir, "nats-token") });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: no presence bucket "aios_presence" on the bus at ${nats.url} (no cell has joined yet?)`);
    expect(run.stderr).not.toContain(TOKEN);
  });

  it("is refused without the token, and masks credentials written into the URL", async () => {
    const withCreds = nats.url.replace("nats://", "nats://aios:hunter2-secret@");
    const run = await fleet({ AIOS_NATS_URLS: withCreds });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: cannot reach the bus at nats://***@127.0.0.1:${nats.port}`);
    expect(run.stderr).not.toContain("hunter2-secret");
  });

  it("signs in as the operator's bus user when AIOS_NATS_USER is set", async () => {
    const users = await startNats(["--user", "operator", "--pass", TOKEN]);
    try {
      const as = (env: Record<string, string>) => runTool("fleet", [], { cwd: dir, env: { PATH: "/usr/bin:/bin", AIOS_NATS_URLS: users.url, AIOS_NATS_TOKEN_FILE: join(dir, "nats-token"), ...env } });
      expect((await as({ AIOS_NATS_USER: "operator" })).stderr).toContain('no presence bucket "aios_presence"'); // signed in
      expect((await as({})).stderr).toMatch(/cannot reach the bus .*Authorization Violation/i); // the password alone is no token
    } finally {
      await users.dispose();
    }
  });

  it("names the variable when the token file cannot be read", async () => {
    const run = await fleet({ AIOS_NATS_TOKEN_FILE: join(dir, "missing") });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`error: AIOS_NATS_TOKEN_FILE: cannot read "${join(dir, "missing")}" (ENOENT)`);
  });

  it("with the fleet's key, lists only presence records signed by their member, and names the others", async () => {
    const root = "bus-root-of-the-fleet-tool-test-0123456789";
    const signer = (id: string) => signingFor(root, id);
    const record = (id: string) => ({ cell_id: id, role: "cell", device: "desktop", url: `http://127.0.0.1:1/${id}`, consciousness_level: 3, version: "0.1.0", heartbeat: new Date().toISOString(), transport: "bus" });
    const nc = await connect({ servers: nats.url, token: TOKEN });
    try {
      const kv = await nc.jetstream().views.kv("aios_presence");
      await kv.put("alpha", signer("alpha").seal("$KV.aios_presence.alpha", record("alpha")));
      await kv.put("beta", signer("gamma").seal("$KV.aios_presence.gamma", record("beta"))); // gamma's, under beta's key
      await kv.put("delta", JSON.stringify(record("delta")));
    } finally {
      await nc.close();
    }
    const env = { AIOS_NATS_TOKEN_FILE: join(dir, "nats-token") };
    const checked = await fleet({ ...env, AIOS_BUS_FLEET_KEY: fleetPublicKey(root) });
    const listed = (out: string) => ["alpha", "beta", "delta"].filter((id) => new RegExp(`\\b${id}\\b`).test(out.split("\n").slice(1).join("\n")));
    expect(listed(checked.stdout)).toEqual(["alpha"]);
    expect(checked.stderr).toContain('presence records refused (not signed by their member): beta (signed by "gamma" (cell), who may not send this), delta (unsigned)');
    // without the key, every record is listed, as before signing
    expect(listed((await fleet(env)).stdout)).toEqual(["alpha", "beta", "delta"]);
    expect((await fleet({ ...env, AIOS_BUS_FLEET_KEY: "not-a-key" })).stderr).toContain("error: AIOS_BUS_FLEET_KEY: expected the fleet's public key");
  });
});
