// The phone bootstrap, run by a real bash against a temporary Termux-like prefix and home. Only the
// Android-only commands are stand-ins (pkg, sv, sv-enable, termux-wake-lock, svlogd...); the app
// is really fetched from the working tree (a git repository, then a tarball), its production
// dependencies really installed with npm, and its service run script really run, as runit
// would (runsv.ts), against a real nats-server. The first install runs the command the stack
// renders (renderTermuxBootstrap), with the cell's certificate the app checks at start.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fleetPublicKey, memberCertificate } from "../../app/src/lib/signing.ts";
import { renderTermuxBootstrap } from "../../infra/render/bootstrap.ts";
import { shq } from "../../infra/render/shell.ts";
import { startNats, type NatsHandle } from "../helpers/nats.ts";
import { freePort, waitFor } from "../helpers/ports.ts";
import { api, startService, type ServiceHandle } from "../helpers/service.ts";
import { hasTool } from "../helpers/tools.ts";
import { makeProjectSource, makeTermux, runCommand, runScript, snapshot, TERMUX_DIR, type FakeTermux, type ProjectSource } from "./fixture.ts";
import { startRunsvdir, type Runsvdir } from "./runsv.ts";

const BOOTSTRAP = join(TERMUX_DIR, "bootstrap.sh");
const TOKEN = `phone-token-${Date.now().toString(16)}-0123456789`;
const BUS_TOKEN = `bus/token+${Date.now().toString(16)}-0123456789`; // beta's bus password; needs URL-encoding
const ALPHA_BUS = `alpha-bus-${Date.now().toString(16)}-0123456789`;
/** A token of another device the phone's cell takes: given to it as a digest only. */
const CALLER = `laptop-token-${Date.now().toString(16)}-0123456789`;
const CALLER_DIGEST = `sha256:${createHash("sha256").update(CALLER).digest("hex")}`;
/** The fleet's signing, as a stack derives it from its bus root: each cell's certificate for its own bus password. */
const BUS_ROOT = `bus-root-${Date.now().toString(16)}-0123456789`;
const FLEET_KEY = fleetPublicKey(BUS_ROOT);
const BETA_CERT = memberCertificate(BUS_ROOT, "beta", "cell", BUS_TOKEN);
const ALPHA_CERT = memberCertificate(BUS_ROOT, "alpha", "cell", ALPHA_BUS);

describe.runIf(hasTool("nats-server"))("termux/bootstrap.sh on a Termux-like prefix", () => {
  let termux: FakeTermux;
  let source: ProjectSource;
  let sourceDir: string;
  let nats: NatsHandle;
  let runsvdir: Runsvdir;
  let port: number;
  let alpha: ServiceHandle | undefined;
  let aiosHome: string;
  let svdir: string;
  let logFile: string;
  const url = () => `http://127.0.0.1:${port}`;
  const bootstrap = (args: string[], stdin = "") =>
    runScript(BOOTSTRAP, ["--prefix", termux.prefix, ...args], termux.env, stdin);
  const health = async () => (await api("GET", `${url()}/health`)).json;

  beforeAll(async () => {
    termux = makeTermux();
    sourceDir = mkdtempSync(join(tmpdir(), "aios-termux-src-"));
    source = makeProjectSource(sourceDir);
    // each cell its own bus user, as the stacks render them
    const users = join(sourceDir, "users.conf");
    writeFileSync(users, `authorization { users: [ { user: "beta", password: ${JSON.stringify(BUS_TOKEN)} }, { user: "alpha", password: "${ALPHA_BUS}" } ] }\n`);
    nats = await startNats(["-c", users]);
    port = await freePort();
    aiosHome = join(termux.home, "aios");
    svdir = join(termux.prefix, "var", "service", "aios-beta");
    logFile = join(termux.prefix, "var", "log", "sv", "aios-beta", "current");
    runsvdir = startRunsvdir(join(termux.prefix, "var", "service"), {
      ...termux.env,
      SVDIR: join(termux.prefix, "var", "service"),
    });
  });

  afterAll(async () => {
    await alpha?.kill();
    await runsvdir?.stop();
    await nats?.dispose();
    termux?.dispose();
    if (sourceDir) rmSync(sourceDir, { recursive: true, force: true });
  });

  it("prints its usage with --help and changes nothing", async () => {
    const before = snapshot(termux.root);
    const run = await bootstrap(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^usage: bootstrap\.sh/);
    expect(run.stdout).toContain("--token-stdin");
    expect(run.stdout).toMatch(/--bus-cert CERT +the cell's certificate/);
    expect(run.stdout).toMatch(/--fleet-key KEY +the fleet's public key/);
    expect(snapshot(termux.root)).toEqual(before);
  });

  it("fails with a usage message on bad or missing arguments and changes nothing", async () => {
    const good = ["--nats-urls", nats.url, "--app-source", source.gitRepo, "--token-stdin"];
    const cases: [string[], RegExp, string?][] = [
      [["--frobnicate", ...good], /unknown argument: --frobnicate/, TOKEN],
      [["--port", "http", ...good], /--port: expected a port from 1 to 65535, got "http"/, TOKEN],
      [["--port", "70000", ...good], /--port: expected a port/, TOKEN],
      [["--cell", "Beta_1", ...good], /--cell: expected lowercase letters/, TOKEN],
      [["--nats-urls", "http://127.0.0.1:4222", "--app-source", source.gitRepo, "--token-stdin"], /--nats-urls: expected comma-separated nats/, TOKEN],
      [["--app-source", source.gitRepo, "--token-stdin"], /--nats-urls is required on the first run/, TOKEN],
      [["--nats-urls", nats.url, "--token-stdin"], /--app-source is required on the first run/, TOKEN],
      [["--nats-urls", nats.url, "--app-source", join(sourceDir, "missing")], /neither a URL nor an existing path/, TOKEN],
      [["--nats-urls", nats.url, "--app-source", source.gitRepo], /a token is required on the first run/],
      [good, /the token is shorter than 16 characters/, "short"],
      [[...good, "--token-file", "/nonexistent"], /either --token-stdin or --token-file/, TOKEN],
      [["--cell"], /--cell needs a value/],
      [[...good, "--wait", "0"], /--wait: expected seconds/, TOKEN],
      [[...good, "--nats-tls-first"], /--nats-tls-first: every URL of --nats-urls must be tls:\/\//, TOKEN],
      [[...good, "--nats-urls", "nats://aaaaaaaaaaaaaaaa@127.0.0.1:1,nats://bbbbbbbbbbbbbbbb@127.0.0.1:2"], /the URLs carry different bus credentials/, TOKEN],
      [[...good, "--nats-urls", "nats://beta:aaaaaaaaaaaaaaaa@127.0.0.1:1,nats://gamma:aaaaaaaaaaaaaaaa@127.0.0.1:2"], /the URLs carry different bus credentials/, TOKEN],
      [[...good, "--accept-tokens", "sha256:abc"], /--accept-tokens: expected comma-separated sha256:/, TOKEN],
      [[...good, "--bus-cert", BETA_CERT.slice(1), "--fleet-key", FLEET_KEY], /--bus-cert: expected the cell's certificate, 86 base64url characters/, TOKEN],
      [[...good, "--bus-cert", BETA_CERT, "--fleet-key", `${FLEET_KEY.slice(1)}=`], /--fleet-key: expected the fleet's public key, 43 base64url/, TOKEN],
      [[...good, "--bus-cert", BETA_CERT], /--bus-cert: give --fleet-key with it/, TOKEN],
      [[...good, "--fleet-key", FLEET_KEY], /--fleet-key: give --bus-cert with it/, TOKEN],
      // nats.url carries no bus user: a certificate names one
      [[...good, "--bus-cert", BETA_CERT, "--fleet-key", FLEET_KEY], /--bus-cert: a certificate is for the cell's own bus user/, TOKEN],
    ];
    const before = snapshot(termux.root);
    for (const [args, message, stdin] of cases) {
      const run = await bootstrap(args, stdin);
      expect(run.code, args.join(" ")).toBe(64);
      expect(run.stderr, args.join(" ")).toMatch(message);
      expect(run.stderr, args.join(" ")).toContain("usage: bootstrap.sh");
      expect(run.stderr).not.toContain(TOKEN);
    }
    // Outside Termux and without --prefix it refuses.
    const outside = await runScript(BOOTSTRAP, good, termux.env, TOKEN);
    expect(outside.code).toBe(64);
    expect(outside.stderr).toMatch(/this is not Termux .*pass --prefix DIR/);
    expect(snapshot(termux.root)).toEqual(before);
    expect(termux.calls()).toEqual([]);
  });

  it("installs the cell from a git repository with the stack's command, starts it as a service, and it joins the bus signing", async () => {
    // The command the stack renders: the cell's own bus user and password inside the URLs (the
    // LAN leaf is down, the hub serves), its token on stdin, its certificate; bootstrap.sh from
    // this tree. Only what a test adds follows it: the stand-in prefix, its URL, a shorter wait.
    const command = renderTermuxBootstrap({
      cell: "beta",
      port,
      device: "phone",
      natsUrls: [`nats://127.0.0.1:${await freePort()}`, nats.url],
      natsTlsFirst: false,
      appSource: source.gitRepo,
      bootstrapUrl: pathToFileURL(BOOTSTRAP).href,
      apiToken: TOKEN,
      busUser: "beta",
      busPassword: BUS_TOKEN,
      acceptTokens: [CALLER_DIGEST],
      busCert: BETA_CERT,
      fleetKey: FLEET_KEY,
    });
    const run = await runCommand(`${command} --prefix ${shq(termux.prefix)} --public-url ${shq(url())} --wait 60`, termux.env);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const busServer = nats.url.replace("nats://", "");
    expect(run.stdout).toContain(`cell beta (app 0.1.0) is up: ${url()} (ok, bus ${busServer}, version 0.1.0)`);
    expect(run.stdout).toContain(`tail -f ${logFile}`);

    const h = await health();
    expect(h).toMatchObject({ cell_id: "beta", device: "phone", role: "cell", status: "ok" });
    expect(h.bus).toEqual({ connected: true, server: busServer });

    // What it asked of Termux: packages, a wake lock, termux-services started; nothing else yet.
    expect(termux.calls()).toEqual(expect.arrayContaining(["pkg install -y nodejs-lts npm git termux-services curl", "termux-wake-lock", "service-daemon start"]));
    expect(termux.calls().filter((c) => /^sv(-enable|-disable)? /.test(c))).toEqual([]); // runsvdir starts a new service

    // The app itself, with production dependencies only.
    expect(existsSync(join(aiosHome, "app", "node_modules", "fastify"))).toBe(true);
    expect(existsSync(join(aiosHome, "app", "node_modules", "vitest"))).toBe(false);
    expect(existsSync(join(aiosHome, "app", "node_modules", "@pulumi"))).toBe(false);

    // Each token: in a file only this user can read, and nowhere else (stand-ins' argv, logs, config).
    for (const [name, value] of [["token", TOKEN], ["nats-token", BUS_TOKEN]] as const) {
      const file = join(aiosHome, name);
      expect(readFileSync(file, "utf8").trim()).toBe(value);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const leaks = execFileSync("grep", ["-rlF", "--exclude-dir=node_modules", value, termux.root], { encoding: "utf8" }).trim();
      expect(leaks.split("\n")).toEqual([file]);
    }
    const config = readFileSync(join(aiosHome, "aios.env"), "utf8");
    expect(config).toContain(`AIOS_TOKEN_FILE=${join(aiosHome, "token")}`);
    expect(config).toContain(`AIOS_NATS_TOKEN_FILE=${join(aiosHome, "nats-token")}`);
    expect(config).toContain("AIOS_NATS_USER=beta");
    expect(config).toContain(`AIOS_ACCEPT_TOKENS_FILE=${join(aiosHome, "accepted-tokens")}`);
    expect(readFileSync(join(aiosHome, "accepted-tokens"), "utf8")).toBe(`${CALLER_DIGEST}\n`);
    expect(config).not.toContain(encodeURIComponent(BUS_TOKEN));
    expect(config).toContain("AIOS_NATS_TLS_FIRST=false"); // plain NATS on the LAN; the VPS's command adds --nats-tls-first
    expect(config).toContain(`AIOS_BUS_CERT=${BETA_CERT}`);
    expect(config).toContain(`AIOS_BUS_FLEET_KEY=${FLEET_KEY}`);

    // The service: run and log/run as termux-services wants them, and a boot script.
    const runScriptText = readFileSync(join(svdir, "run"), "utf8");
    expect(runScriptText).toMatch(new RegExp(`^#!${termux.prefix}/bin/sh\n`));
    expect(runScriptText).toContain(`exec '${termux.prefix}/bin/bash' '${aiosHome}/bin/run-cell.sh' 'beta'`);
    expect(readFileSync(join(svdir, "log", "run"), "utf8")).toContain("svlogd");
    const boot = join(termux.home, ".termux", "boot", "start-aios");
    expect(readFileSync(boot, "utf8")).toMatch(/termux-wake-lock\n[^]*\. '.*\/etc\/profile\.d\/start-services\.sh'/);
    expect(statSync(boot).mode & 0o100).toBe(0o100);
    // The rendered scripts are shell-clean too.
    if (hasTool("shellcheck")) execFileSync("shellcheck", ["-x", join(svdir, "run"), join(svdir, "log", "run"), boot]);

    // Its output reaches the service's log directory, and the node that runs it is Termux's.
    await waitFor("the cell's log", () => existsSync(logFile) && readFileSync(logFile, "utf8").includes("Server listening"));
    const pid = readFileSync(join(svdir, "supervise", "pid"), "utf8");
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[1]).toBe("dist/main.js");
    // it runs with its certificate, which its startup accepted (it answers /health)
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    expect(environ).toEqual(expect.arrayContaining([`AIOS_BUS_CERT=${BETA_CERT}`, `AIOS_BUS_FLEET_KEY=${FLEET_KEY}`, "AIOS_NATS_USER=beta"]));

    // Another cell on the same bus sees beta up, with the public URL it was given.
    alpha = await startService({ AIOS_ROLE: "cell", AIOS_CELL_ID: "alpha", AIOS_NATS_URLS: nats.url, AIOS_NATS_USER: "alpha", AIOS_NATS_TOKEN: ALPHA_BUS, AIOS_BUS_CERT: ALPHA_CERT, AIOS_BUS_FLEET_KEY: FLEET_KEY });
    await waitFor("alpha to see beta", async () => {
      const peers = (await api("GET", `${alpha!.url}/peers`)).json.peers as { cell_id: string; status: string; url: string; device: string }[];
      return peers.find((p) => p.cell_id === "beta" && p.status === "up" && p.url === url() && p.device === "phone");
    });
    // the caller whose digest it was given is let in; a token it was not given is not
    const evolve = (token: string) => api("POST", `${url()}/consciousness/evolve`, { stimulus: 0.1 }, { authorization: `Bearer ${token}` });
    expect((await evolve(CALLER)).status).toBe(200);
    expect((await evolve(`not-${CALLER}`)).status).toBe(401);
  }, 90_000);

  it("run again, upgrades in place from a tarball URL, keeping the cell's data and settings", async () => {
    // Give the cell state of its own: its level, saved in its data directory; and a file of ours.
    const evolved = await api("POST", `${url()}/consciousness/evolve`, {}, { authorization: `Bearer ${TOKEN}` });
    expect(evolved.status).toBe(200);
    const level = evolved.json.consciousness_level as number;
    expect(level).toBeGreaterThan(0);
    const dataDir = join(aiosHome, "cells", "beta", "data");
    writeFileSync(join(dataDir, "keep-me"), "mine");
    const oldPid = readFileSync(join(svdir, "supervise", "pid"), "utf8");

    // The release tarball, served over HTTP on 127.0.0.1.
    const server = createServer((req, res) => {
      if (req.url !== "/releases/aios-fleet.tar.gz") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/gzip" }).end(readFileSync(source.tarball));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const tarballUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/releases/aios-fleet.tar.gz`;

    // No token, bus or device given: the saved ones are kept.
    const run = await bootstrap(["--app-source", tarballUrl, "--port", String(port), "--wait", "60"]).finally(() => server.close());
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toContain("restarting aios-beta with the new app");
    expect(termux.calls()).toEqual(expect.arrayContaining(["sv-enable aios-beta", "sv restart aios-beta"]));

    const newPid = readFileSync(join(svdir, "supervise", "pid"), "utf8");
    expect(newPid).not.toBe(oldPid);
    expect(runsvdir.starts("aios-beta")).toBe(2);
    const h = await health();
    expect(h).toMatchObject({ cell_id: "beta", device: "phone", status: "ok", consciousness_level: level });
    expect(readFileSync(join(dataDir, "keep-me"), "utf8")).toBe("mine");
    expect(readFileSync(join(aiosHome, "token"), "utf8").trim()).toBe(TOKEN);
    expect(readFileSync(join(aiosHome, "aios.env"), "utf8")).toContain(`AIOS_APP_SOURCE=${tarballUrl}`);
    expect(readFileSync(join(aiosHome, "aios.env"), "utf8")).toContain(`AIOS_BUS_CERT=${BETA_CERT}`);
  }, 90_000);

  it("rejects a bad argument on an installed phone without touching the install", async () => {
    const skipLive = (rel: string) => /var\/log|cells\/beta\/data|supervise/.test(rel);
    const before = snapshot(termux.root, skipLive);
    const callsBefore = termux.calls().length;
    const run = await bootstrap(["--port", "eighty"]);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/--port: expected a port/);
    expect(snapshot(termux.root, skipLive)).toEqual(before);
    expect(termux.calls().length).toBe(callsBefore);
    expect((await health()).status).toBe("ok");
  });

  it("refuses a certificate that is not the cell's, naming AIOS_BUS_CERT, and leaves the running cell as it was", async () => {
    const skipLive = (rel: string) => /var\/log|cells\/beta\/data|supervise/.test(rel);
    const before = snapshot(join(termux.home, "aios"), skipLive);
    const pid = readFileSync(join(svdir, "supervise", "pid"), "utf8");
    // alpha's certificate: well-formed and the fleet's, but not for beta's bus password
    const wrong = await bootstrap(["--app-source", source.tarball, "--bus-cert", ALPHA_CERT, "--fleet-key", FLEET_KEY]);
    expect(wrong.code, wrong.stdout).toBe(1);
    expect(wrong.stderr).toContain(`aios: error: --bus-cert: the certificate is not the fleet's for member "beta" as cell with this bus password (AIOS_BUS_CERT); nothing was changed`);
    expect(wrong.stderr).not.toContain(BUS_TOKEN);
    expect(snapshot(join(termux.home, "aios"), skipLive)).toEqual(before);
    expect(readFileSync(join(svdir, "supervise", "pid"), "utf8")).toBe(pid);
    expect((await health()).status).toBe("ok");
  }, 90_000);

  it("status.sh shows the service, its health and its log; uninstall.sh removes it and keeps the data", async () => {
    const bin = join(aiosHome, "bin");
    const status = await runScript(join(bin, "status.sh"), [], termux.env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/cell beta\n {2}service: run: aios-beta: \(pid \d+\)/);
    expect(status.stdout).toContain("health:  ok");
    expect(status.stdout).toContain(`bus:     connected to ${nats.url.replace("nats://", "")}`);
    expect(status.stdout).toContain(`logs:    ${logFile}`);

    const un = await runScript(join(bin, "uninstall.sh"), [], termux.env);
    expect(un.code, un.stderr).toBe(0);
    expect(termux.calls()).toEqual(expect.arrayContaining(["sv-disable aios-beta", "termux-wake-unlock"]));
    expect(existsSync(svdir)).toBe(false);
    expect(existsSync(join(termux.home, ".termux", "boot", "start-aios"))).toBe(false);
    await waitFor("the cell to stop", async () => {
      try {
        await fetch(`${url()}/health`);
        return false;
      } catch {
        return true;
      }
    });
    expect(readFileSync(join(aiosHome, "cells", "beta", "data", "keep-me"), "utf8")).toBe("mine");
    expect(existsSync(logFile)).toBe(true);

    const after = await runScript(join(bin, "status.sh"), [], termux.env);
    expect(after.stdout).toContain("no AIOS cell service is installed");
  });

  it("run-cell.sh runs a cell by hand in the foreground; uninstall.sh --purge deletes everything", async () => {
    const bin = join(aiosHome, "bin");
    const usage = await runScript(join(bin, "run-cell.sh"), ["gamma"], termux.env);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/cell gamma has no saved port[^]*usage: run-cell\.sh <name> \[port\]/);

    const gammaPort = await freePort();
    const gamma = spawn("bash", [join(bin, "run-cell.sh"), "gamma", String(gammaPort)], { env: termux.env, stdio: "ignore" });
    try {
      const h = await waitFor("gamma's /health", async () => (await api("GET", `http://127.0.0.1:${gammaPort}/health`)).json);
      expect(h).toMatchObject({ cell_id: "gamma", device: "phone", role: "cell" });
      expect(existsSync(join(aiosHome, "cells", "gamma", "data"))).toBe(true);
    } finally {
      gamma.kill("SIGTERM");
      await new Promise((r) => gamma.once("exit", r));
    }

    // an aios.env edited by hand to another member's certificate: the cell's start-up refuses it
    const envFile = join(aiosHome, "aios.env");
    const saved = readFileSync(envFile, "utf8");
    writeFileSync(envFile, saved.replace(`AIOS_BUS_CERT=${BETA_CERT}`, `AIOS_BUS_CERT=${ALPHA_CERT}`));
    const refused = await runScript(join(bin, "run-cell.sh"), ["gamma", String(gammaPort)], termux.env);
    writeFileSync(envFile, saved);
    expect(refused.code).toBe(78);
    expect(refused.stderr).toContain(`AIOS_BUS_CERT: the certificate is not the fleet's for member "beta" as cell with this bus password`);

    const purge = await runScript(join(bin, "uninstall.sh"), ["--purge"], termux.env);
    expect(purge.code, purge.stderr).toBe(0);
    expect(existsSync(aiosHome)).toBe(false);
    expect(existsSync(logFile)).toBe(false);
  });
});
