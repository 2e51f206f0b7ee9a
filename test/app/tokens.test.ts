// Per-device API tokens, as a client sees them: a member takes its own (its device's) token and
// the tokens whose digests AIOS_ACCEPT_TOKENS_FILE lists (the operator's, other devices'), and
// nothing else: the phone's token opens the phone's cell only, because no other member lists it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../../app/src/app.ts";
import { ConfigError, loadConfig } from "../../app/src/config.ts";
import { acceptedTokenHashes, deviceApiToken, operatorApiToken } from "../../infra/identities.ts";

const ROOT = "api-root-of-the-fleet-0123456789";
const DESKTOP = deviceApiToken(ROOT, "desktop");
const LAPTOP = deviceApiToken(ROOT, "laptop");
const PHONE = deviceApiToken(ROOT, "phone");
const OPERATOR = operatorApiToken(ROOT);

let apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
});

function env(dir: string, extra: Record<string, string>): Record<string, string> {
  return { AIOS_ROLE: "cell", AIOS_CELL_ID: "father", AIOS_DEVICE: "desktop", AIOS_DATA_DIR: dir, AIOS_NATS_URLS: "nats://127.0.0.1:1", ...extra };
}

/** A desktop cell as the desktop stack wires it: the desktop's token, and the laptop's and operator's digests. */
async function desktopCell(): Promise<FastifyInstance> {
  const dir = mkdtempSync(join(tmpdir(), "aios-tokens-"));
  writeFileSync(join(dir, "accepted"), acceptedTokenHashes(ROOT, ["laptop"]));
  const app = await buildApp({ config: loadConfig(env(dir, { AIOS_TOKEN: DESKTOP, AIOS_ACCEPT_TOKENS_FILE: join(dir, "accepted") })), logger: false });
  apps.push(app);
  return app;
}

const evolve = (app: FastifyInstance, token: string) =>
  app.inject({ method: "POST", url: "/consciousness/evolve", headers: { authorization: `Bearer ${token}` }, payload: { stimulus: 0.5 } }).then((r) => r.statusCode);

describe("per-device API tokens", () => {
  it("a member takes its device's token, the operator's and the listed devices', and refuses the phone's", async () => {
    const app = await desktopCell();
    expect(await evolve(app, DESKTOP)).toBe(200);
    expect(await evolve(app, OPERATOR)).toBe(200);
    expect(await evolve(app, LAPTOP)).toBe(200);
    expect(await evolve(app, PHONE)).toBe(401);
    expect(await evolve(app, ROOT)).toBe(401); // the fleet's root is no token of any member
  });

  it("the accepted-tokens file holds digests only, and a bad line is named without its content", () => {
    const text = acceptedTokenHashes(ROOT, ["laptop"]);
    for (const t of [LAPTOP, OPERATOR, ROOT]) expect(text).not.toContain(t);
    const dir = mkdtempSync(join(tmpdir(), "aios-tokens-"));
    writeFileSync(join(dir, "accepted"), `${text}${LAPTOP}\n`);
    const load = () => loadConfig(env(dir, { AIOS_TOKEN: DESKTOP, AIOS_ACCEPT_TOKENS_FILE: join(dir, "accepted") }));
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(`AIOS_ACCEPT_TOKENS_FILE: line 3 of "${join(dir, "accepted")}": expected sha256:<64 lowercase hex digits>`);
    expect(() => loadConfig(env(dir, { AIOS_TOKEN: DESKTOP, AIOS_ACCEPT_TOKENS_FILE: join(dir, "missing") }))).toThrow(/AIOS_ACCEPT_TOKENS_FILE: cannot read .* \(ENOENT\)/);
  });
});
