// Generated scripts: the Vault init script, the release step and the Termux bootstrap command pass shellcheck;
// the container's Vault login step is valid JavaScript; tokens with shell metacharacters stay quoted.
import { afterAll, describe, expect, it } from "vitest";
import { renderTermuxBootstrap } from "../../infra/render/bootstrap.ts";
import { fleetPublicKey, memberCertificate } from "../../app/src/lib/signing.ts";
import { chmodSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { memberSecretEnv, parseVaultInit, renderVaultInit } from "../../infra/render/vault-init.ts";
import { renderVaultLogin } from "../../infra/render/vault-login.ts";
import { parseRelease, renderRelease } from "../../infra/render/release.ts";
import { hasTool } from "../helpers/tools.ts";
import { runTool, tempFiles } from "./tool.ts";

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));
const API = "api'token $(rm -rf /) `x`";
const BUS = "bus/token@x:y";
const FLEET_KEY = fleetPublicKey("bus-root-0e8d7c6b5a4f3e2d");
const CERT = memberCertificate("bus-root-0e8d7c6b5a4f3e2d", "beta", "cell", BUS);

const phone = (apiToken: string, busToken: string, bus = { natsUrls: ["nats://192.168.1.20:4222", "nats://192.168.1.10:4222"], natsTlsFirst: false }) => renderTermuxBootstrap({
  cell: "beta",
  port: 8000,
  device: "phone",
  ...bus,
  appSource: "https://github.com/aios-fleet/aios-fleet.git",
  bootstrapUrl: "https://raw.githubusercontent.com/aios-fleet/aios-fleet/main/termux/bootstrap.sh",
  apiToken,
  busUser: "beta",
  busPassword: busToken,
  acceptTokens: ["sha256:" + "a".repeat(64), "sha256:" + "b".repeat(64)],
  busCert: CERT,
  fleetKey: FLEET_KEY,
});
const bootstrap = phone(API, BUS);

describe("Termux bootstrap command", () => {
  it("passes the flags bootstrap.sh takes, LAN server first, API token on stdin", () => {
    expect(bootstrap).toContain("--cell 'beta' --port 8000 --device 'phone'");
    expect(bootstrap).toContain(
      `--nats-urls 'nats://beta:${encodeURIComponent(BUS)}@192.168.1.20:4222,nats://beta:${encodeURIComponent(BUS)}@192.168.1.10:4222'`,
    );
    expect(bootstrap).toContain(`--accept-tokens 'sha256:${"a".repeat(64)},sha256:${"b".repeat(64)}'`);
    expect(bootstrap).toContain(`--bus-cert '${CERT}' --fleet-key '${FLEET_KEY}'`);
    expect(bootstrap).toMatch(/printf '%s' '.*' \| bash "\$HOME\/aios-bootstrap.sh" .* --token-stdin /);
    expect(bootstrap).not.toContain("--nats-tls-first");
  });

  it("asks for TLS first when the bus is behind a TLS-terminating proxy (the VPS hub on 443)", () => {
    const vps = phone(API, BUS, { natsUrls: ["tls://nats.aios.example.com:443"], natsTlsFirst: true });
    expect(vps).toContain(`--nats-urls 'tls://beta:${encodeURIComponent(BUS)}@nats.aios.example.com:443' --nats-tls-first --token-stdin`);
  });

  it("a shell hands the token over byte for byte, running nothing inside it", () => {
    // Run the printf part for real and read what it would pipe into bootstrap.sh.
    const pipe = bootstrap.slice(bootstrap.indexOf("printf"), bootstrap.indexOf(" | bash"));
    const r = runTool("sh", ["-c", pipe]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(API);
  });

  it.runIf(hasTool("shellcheck"))("passes shellcheck", () => {
    const t = tempFiles({ "cmd.sh": `#!/bin/bash\n${phone("api-token-5f1c9a2e7b3d4c6a", "bus-token-0e8d7c6b5a4f3e2d")}\n` });
    cleanups.push(t.cleanup);
    const r = runTool("shellcheck", [t.path("cmd.sh")]);
    expect(r.code, r.out).toBe(0);
  });
});

describe("Vault init script", () => {
  // three one-role containers and the organelle host, with a bus password per hosted role
  const HOSTED = ["task-dispatcher", "vscode-bridge"];
  const members = [...["father", "nous", "discovery"].map((name) => ({ name, busFields: ["bus"] })), { name: "organelles", busFields: HOSTED.map((r) => `bus-${r}`) }];
  const names = members.map((m) => m.name);
  const script = renderVaultInit({ container: "aios-vault", members });

  it.runIf(hasTool("shellcheck"))("passes shellcheck", () => {
    const t = tempFiles({ "init.sh": script });
    cleanups.push(t.cleanup);
    const r = runTool("shellcheck", [t.path("init.sh")]);
    expect(r.code, r.out).toBe(0);
  });

  it("stores each member's own API token and bus password, from the environment and on stdin, never as arguments", () => {
    expect(script).not.toMatch(/token=\$|bus=\$/);
    expect(script).not.toContain("BUS_TOKEN");
    expect(script).not.toContain("API_TOKEN");
    // run it for real against a stand-in `docker` that plays an uninitialised Vault and records
    // every write with what came on its stdin
    const t = tempFiles({
      docker: `#!/bin/sh
while [ "$1" != vault ]; do shift; done; shift
in=$(cat 2>/dev/null || true)
case "$*" in
  "status") exit 0 ;;
  "operator init -status") exit 2 ;;
  "operator init "*) printf 'Unseal Key 1: k\nInitial Root Token: r\n' ;;
  "kv "*|"policy write "*) printf '%s <%s>\n' "$*" "$in" >>"$LOG" ;;
  "read -field=role_id "*) printf role ;;
  "write -f -field=secret_id "*) printf secret ;;
esac
`,
      log: "",
    });
    cleanups.push(t.cleanup);
    chmodSync(t.path("docker"), 0o755);
    const secrets = memberSecretEnv(members.map((m) => ({ api: `api-${m.name}-0123456789`, bus: m.busFields.map((f) => `${f}-of-${m.name}-0123456789`) })));
    const env = { PATH: `${t.dir}:${process.env.PATH}`, LOG: t.path("log"), ...secrets };
    const r = spawnSync("sh", ["-c", script], { env, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const init = parseVaultInit(r.stdout, names);
    expect(init.approles.nous).toEqual({ roleId: "role", secretId: "secret" });
    expect(Object.keys(init.approles)).toEqual(names);
    const log = readFileSync(t.path("log"), "utf8");
    for (const m of members) {
      expect(log).toContain(`kv put -mount=aios members/${m.name} token=- <api-${m.name}-0123456789>`);
      for (const f of m.busFields) expect(log).toContain(`kv patch -mount=aios members/${m.name} ${f}=- <${f}-of-${m.name}-0123456789>`);
      expect(log).toContain(`policy write member-${m.name} - <path "aios/data/members/${m.name}" { capabilities = ["read"] }>`);
    }
    // no password lands in another member's entry
    expect(log.match(/kv patch/g)).toHaveLength(5);
  });

  it("its output parser names what is missing and never echoes a value", () => {
    const good = JSON.stringify({ unsealKey: "k", rootToken: "r", approles: { father: { roleId: "a", secretId: "b" } } });
    expect(parseVaultInit(good, ["father"]).approles.father!.roleId).toBe("a");
    expect(() => parseVaultInit(good, ["father", "nous"])).toThrow("vault init: no AppRole for nous");
    expect(() => parseVaultInit("secret-value-not-json", [])).toThrow(/^vault init: the script's output is not JSON$/);
  });
});

describe("release step script", () => {
  const script = renderRelease("registry.lan/aios app");

  it.runIf(hasTool("shellcheck"))("passes shellcheck", () => {
    const t = tempFiles({ "release.sh": script });
    cleanups.push(t.cleanup);
    const r = runTool("shellcheck", [t.path("release.sh")]);
    expect(r.code, r.out).toBe(0);
  });

  it("quotes the repository, and its output parser says what it expected", () => {
    expect(script).toContain("REPO='registry.lan/aios app'");
    expect(parseRelease('{"good":"sha256:1","previous":""}\n')).toEqual({ good: "sha256:1", previous: "" });
    expect(() => parseRelease("Error: No such image")).toThrow('release step printed "Error: No such image", expected {"good":…,"previous":…}');
  });
});

describe("Vault login step", () => {
  it("is valid JavaScript and reads its AppRole from files", () => {
    const js = renderVaultLogin({
      vaultAddr: "http://vault:8200",
      member: "father",
      roleIdFile: "/run/secrets/role-id",
      secretIdFile: "/run/secrets/secret-id",
      tokenFile: "/run/aios/token",
      busFiles: [
        { field: "bus-task-dispatcher", file: "/run/aios/nats-token-task-dispatcher" },
        { field: "bus-vscode-bridge", file: "/run/aios/nats-token-vscode-bridge" },
      ],
    });
    const t = tempFiles({ "login.mjs": js });
    cleanups.push(t.cleanup);
    const r = runTool(process.execPath, ["--check", t.path("login.mjs")]);
    expect(r.code, r.out).toBe(0);
    expect(js).toContain('"/v1/aios/data/members/father"');
    // each hosted role's password from its own field into its own file
    expect(js).toContain('writeFileSync("/run/aios/nats-token-task-dispatcher", member.data.data["bus-task-dispatcher"], { mode: 0o600 });');
    expect(js).toContain('writeFileSync("/run/aios/nats-token-vscode-bridge", member.data.data["bus-vscode-bridge"], { mode: 0o600 });');
  });
});
