// NATS hub and leaf configs, checked by the real nats-server -t. That the leaf really reaches the
// hub's JetStream is shown with running servers in test/e2e/hub-leaf.test.ts.
import { afterAll, describe, expect, it } from "vitest";
import bcrypt from "bcryptjs";
import { renderNatsConfig, renderNatsSecrets, JS_DOMAIN, NATS_SECRETS_FILE, type NatsRole } from "../../infra/render/nats.ts";
import { busUser, leafBusUser, leafDeviceMembers, type BusMember } from "../../infra/identities.ts";
import { busPermissions, leafPermissions } from "../../infra/render/nats-permissions.ts";
import { makeTestCerts } from "../helpers/test-ca.ts";
import { hasTool } from "../helpers/tools.ts";
import { runTool, tempFiles } from "./tool.ts";

const TOKEN = "bus-token-0e8d7c6b/5a4f@3e2d";
const USERS = [busUser(TOKEN, { id: "alpha", role: "cell" }), busUser(TOKEN, { id: "task-dispatcher-laptop", role: "task-dispatcher" })];
const LAPTOP_MEMBERS: BusMember[] = [
  { id: "alpha", role: "cell" },
  { id: "task-dispatcher-laptop", role: "task-dispatcher" },
];
/** The laptop's leaf user on the hub, with a password that needs URL escaping. */
const LAPTOP = { ...leafBusUser(TOKEN, "laptop", LAPTOP_MEMBERS, LAPTOP_MEMBERS), password: "leaf/pass@word+0123" };
const LEAF = { mode: "leaf", hubHost: "192.168.1.10", hubLeafPort: 7422, credential: LAPTOP } as const;
const HUB: NatsRole = { mode: "hub", leaves: [LAPTOP] };
const cleanups: (() => void)[] = [];
afterAll(() => cleanups.forEach((c) => c()));

function check(main: string, secrets: string) {
  const t = tempFiles({ "nats.conf": main, [NATS_SECRETS_FILE]: secrets });
  cleanups.push(t.cleanup);
  return runTool("nats-server", ["-t", "-c", t.path("nats.conf")]);
}

describe("NATS config text", () => {
  it("the hub runs the network's one JetStream, on its store", () => {
    const main = renderNatsConfig({ mode: "hub", serverName: "desktop", storeDir: "/data" });
    expect(main).toContain(`jetstream {\n  store_dir: "/data"\n  domain: "${JS_DOMAIN}"\n}`);
    expect(main).toContain('listen: "0.0.0.0:4222"');
  });

  it("a leaf runs no JetStream and sends its clients' JetStream calls to the hub's domain", () => {
    const main = renderNatsConfig({ mode: "leaf", serverName: "laptop" });
    expect(main).not.toContain("jetstream");
    expect(main).toContain(`default_js_domain: { "$G": "${JS_DOMAIN}" }`);
  });

  it("a leaf dials the hub with nats-leaf:// unless the hub needs TLS", () => {
    expect(renderNatsSecrets(LEAF, USERS)).toContain('url: "nats-leaf://leaf-laptop:');
    expect(renderNatsSecrets(LEAF, USERS)).not.toContain("tls");
    const system = renderNatsSecrets({ ...LEAF, tls: {} }, USERS);
    expect(system).toContain('url: "tls://leaf-laptop:');
    expect(system).not.toContain("ca_file");
  });

  it("listens where it is told (tests run servers on 127.0.0.1 ports)", () => {
    const listen = { host: "127.0.0.1", client: 14222, monitor: 18222, leaf: 17422 };
    expect(renderNatsConfig({ mode: "leaf", serverName: "t", listen })).toContain('listen: "127.0.0.1:14222"\nhttp: "127.0.0.1:18222"');
    expect(renderNatsSecrets(HUB, USERS, listen)).toContain('listen: "127.0.0.1:17422"');
  });
});

describe("NATS users and permissions", () => {
  it("lists every member as its own user with its own allow lists", () => {
    const secrets = renderNatsSecrets(HUB, USERS);
    const stored = /user: "alpha"\n {6}password: "([^"]+)"/.exec(secrets)?.[1];
    expect(stored).toMatch(/^\$2a\$04\$[./A-Za-z0-9]{53}$/);
    expect(bcrypt.compareSync(USERS[0]!.password, stored!)).toBe(true);
    expect(bcrypt.compareSync(USERS[1]!.password, stored!)).toBe(false);
    // the file gives no password away, a member's nor a leaf link's
    for (const password of [...USERS, LAPTOP].map((u) => u.password)) expect(secrets).not.toContain(password);
    expect(secrets).toContain('"$KV.aios_presence.alpha"');
    expect(secrets).toContain('"aios.msg.alpha.>"');
    expect(secrets).toContain('"_INBOX.alpha.>"');
    expect(secrets).not.toContain("token:");
  });

  it("a cell's permissions name only itself; organelles cannot send messages", () => {
    const cell = busPermissions("alpha", "cell");
    const others = [...cell.publish, ...cell.subscribe].filter((s) => /\b(beta|\*\.to\.(?!alpha))/.test(s));
    expect(others).toEqual([]);
    expect(cell.publish).toContain("$JS.API.CONSUMER.CREATE.AIOS_MESSAGES.inbox-alpha.aios.msg.*.to.alpha");
    expect(cell.publish).not.toContain("$JS.API.CONSUMER.DURABLE.CREATE.AIOS_MESSAGES.inbox-alpha"); // the old API carries the filter in the body only
    for (const role of ["network-listener", "consciousness-sync", "vscode-bridge", "task-dispatcher", "discovery"] as const) {
      expect(busPermissions(`${role}-laptop`, role).publish.filter((s) => s.startsWith("aios.msg."))).toEqual([]);
    }
    expect(busPermissions("network-listener-laptop", "network-listener").publish.filter((s) => s.startsWith("$KV."))).toEqual(["$KV.aios_presence.network-listener-laptop"]);
  });

  it("a cell acks as an answer to what it was delivered, not through its allow list (which would leave nats-server's reply memory growing)", () => {
    const cell = busPermissions("alpha", "cell");
    expect(cell.responses).toBe(true);
    expect(cell.publish.filter((s) => s.startsWith("$JS.ACK."))).toEqual([]);
    expect(cell.answers).toEqual(["$JS.ACK.AIOS_MESSAGES.inbox-alpha.>", "$JS.ACK.AIOS_MESSAGES.bcast-alpha.>"]);
    expect(renderNatsSecrets(HUB, USERS).slice(0, renderNatsSecrets(HUB, USERS).indexOf('user: "leaf-'))).not.toContain("$JS.ACK.AIOS_MESSAGES");
    // a member without allow_responses keeps its acks in the allow list
    expect(busPermissions("task-dispatcher-laptop", "task-dispatcher").publish).toContain("$JS.ACK.AIOS_TASK_RESULTS.task-dispatcher.>");
  });

  it("members sign in as clients only, a leaf device's user as a leaf link only, with the rights of what it runs", () => {
    const secrets = renderNatsSecrets(HUB, USERS);
    expect(secrets).toMatch(/user: "alpha"\n {6}password: "\$2a\$[^"]+"\n {6}allowed_connection_types: \["STANDARD"\]/);
    const leaf = secrets.slice(secrets.indexOf('user: "leaf-laptop"'));
    expect(leaf).toMatch(/^user: "leaf-laptop"\n {6}password: "[^"]+"\n {6}allowed_connection_types: \["LEAFNODE"\]/);
    expect(leaf.slice(0, leaf.indexOf("}\n    }"))).toContain('"$JS.hub.API.$KV.aios_presence.alpha"');
    // its users are in the main authorization block: the leafnodes block has none
    expect(secrets.slice(secrets.indexOf("leafnodes {"))).not.toContain("users");
  });

  it("a hub takes no connection without credentials (leaf or client), and the file does not change between runs", () => {
    const a = renderNatsSecrets({ mode: "hub", leaves: [] }, USERS);
    expect(a).toMatch(/^no_auth_user: "no-credentials"\n/);
    expect(a).toMatch(/\{ user: "no-credentials", password: "[A-Za-z0-9_-]{43}", allowed_connection_types: \["MQTT"\] \}/);
    expect(a).not.toContain("mqtt {");
    expect(renderNatsSecrets({ mode: "hub", leaves: [] }, USERS)).toBe(a);
    expect(renderNatsSecrets(LEAF, USERS)).not.toContain("no_auth_user");
    expect(() => renderNatsSecrets(HUB, [])).toThrow(/no users/);
  });
});

describe("a leaf device's rights on the hub", () => {
  const fleet: BusMember[] = [
    { id: "father", role: "cell" },
    { id: "task-dispatcher-desktop", role: "task-dispatcher" },
    { id: "vscode-bridge-desktop", role: "vscode-bridge" },
    ...LAPTOP_MEMBERS,
  ];

  it("carries what its members may publish and subscribe to, in the mapped JetStream form a leaf sends", () => {
    const p = leafPermissions(LAPTOP_MEMBERS, fleet);
    for (const m of LAPTOP_MEMBERS) {
      const own = busPermissions(m.id, m.role);
      expect(p.publish).toEqual(expect.arrayContaining(own.publish));
      expect(p.subscribe).toEqual(expect.arrayContaining(own.subscribe));
    }
    expect(p.publish).toContain("$JS.hub.API.$KV.aios_presence.alpha");
    expect(p.publish).toContain("aios.msg.alpha.>");
    expect(p.publish).toContain("$JS.ACK.AIOS_MESSAGES.inbox-alpha.>"); // the leaf's cell's acks cross as plain publishes
    expect(p.subscribe).toEqual(["_INBOX.alpha.>", "aios.task.assign.alpha", "aios.task.exec.alpha", "aios.task.cancel.alpha", "_INBOX.task-dispatcher-laptop.>"]);
    expect(new Set(p.publish).size).toBe(p.publish.length);
    expect(p.responses).toBe(false);
  });

  it("a member the hub does not list gets nothing across: no subject of a dropped phone", () => {
    const laptop = { name: "laptop", cells: ["alpha"], organelles: ["task-dispatcher" as const], discovery: false };
    const withPhone = leafPermissions(leafDeviceMembers({ ...laptop, phoneCell: "beta" }), fleet);
    expect(withPhone.publish).toContain("$JS.hub.API.$KV.aios_presence.beta");
    expect(withPhone.subscribe).toContain("_INBOX.beta.>");
    const dropped = leafPermissions(leafDeviceMembers(laptop), fleet);
    expect([...dropped.publish, ...dropped.subscribe].filter((s) => s.includes("beta"))).toEqual([]);
  });

  it("its cells may answer the requests of the fleet's dispatchers and bridges; a device without cells answers none", () => {
    const p = leafPermissions(LAPTOP_MEMBERS, fleet);
    expect(p.publish.filter((s) => s.startsWith("_INBOX."))).toEqual(["_INBOX.task-dispatcher-desktop.>", "_INBOX.vscode-bridge-desktop.>", "_INBOX.task-dispatcher-laptop.>"]);
    const organellesOnly = leafPermissions([{ id: "network-listener-laptop", role: "network-listener" }], fleet);
    expect(organellesOnly.publish.filter((s) => s.startsWith("_INBOX."))).toEqual([]);
  });

  it("the operator's rights never cross a leaf", () => {
    const p = leafPermissions(leafDeviceMembers({ name: "laptop", cells: ["alpha"], organelles: [], discovery: true }), fleet);
    expect(p.publish).not.toContain(">");
    expect(p.publish).toContain("$JS.hub.API.$KV.aios_presence.>"); // discovery writes HTTP peers' records
  });
});

describe.runIf(hasTool("nats-server"))("NATS configs (nats-server -t)", () => {
  it("the hub config is valid", () => {
    const r = check(renderNatsConfig({ mode: "hub", serverName: "desktop", storeDir: "/data" }), renderNatsSecrets(HUB, USERS));
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/configuration file .* is valid/);
  });

  it("the hub config is valid with an address advertised to its leaves", () => {
    const secrets = renderNatsSecrets({ ...HUB, advertise: "192.168.1.10:7422" }, USERS);
    expect(secrets).toContain('advertise: "192.168.1.10:7422"');
    expect(renderNatsSecrets(HUB, USERS)).not.toContain("advertise");
    const r = check(renderNatsConfig({ mode: "hub", serverName: "desktop", storeDir: "/data" }), secrets);
    expect(r.code, r.out).toBe(0);
  });

  it("the leaf config is valid, with a password that needs URL escaping", () => {
    const secrets = renderNatsSecrets(LEAF, USERS);
    expect(secrets).toContain(`leaf-laptop:${encodeURIComponent(LAPTOP.password)}@`);
    const r = check(renderNatsConfig({ mode: "leaf", serverName: "laptop" }), secrets);
    expect(r.code, r.out).toBe(0);
  });

  it.runIf(hasTool("openssl"))("a leaf of a TLS hub dials tls:// and trusts the hub's CA file; a missing CA file fails the check", () => {
    const t = tempFiles({});
    cleanups.push(t.cleanup);
    const { caFile } = makeTestCerts(t.dir, ["nats.aios.example.com"]);
    const secrets = renderNatsSecrets({ ...LEAF, hubHost: "nats.aios.example.com", tls: { caFile } }, USERS);
    expect(secrets).toContain(`url: "tls://leaf-laptop:${encodeURIComponent(LAPTOP.password)}@nats.aios.example.com:7422"`);
    expect(secrets).toContain(`tls { ca_file: ${JSON.stringify(caFile)} }`);
    const r = check(renderNatsConfig({ mode: "leaf", serverName: "desktop" }), secrets);
    expect(r.code, r.out).toBe(0);
    const broken = check(renderNatsConfig({ mode: "leaf", serverName: "desktop" }), secrets.replace(caFile, `${caFile}.missing`));
    expect(broken.code).not.toBe(0);
  });

  it("the main file holds no secret; a broken file fails the check", () => {
    const main = renderNatsConfig({ mode: "hub", serverName: "desktop", storeDir: "/data" });
    for (const u of USERS) expect(main).not.toContain(u.password);
    const r = check(main.replace("jetstream {", "jetstream {{"), renderNatsSecrets(HUB, USERS));
    expect(r.code).not.toBe(0);
  });
});
