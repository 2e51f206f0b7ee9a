// `npm run hosts`: the stacks' hostsEntries printed, written into a hosts file as one marked block
// (idempotent, updated when an address changes, refused without write rights), or printed as the
// PowerShell a Windows machine runs. The stack outputs come from the recording pulumi stand-in;
// the hosts file is a temp file (never the machine's /etc/hosts).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { BLOCK_BEGIN, BLOCK_END, withBlock } from "../../tools/lib/hosts-file.ts";
import { fakePulumi, runTool, type FakePulumi } from "./fake-pulumi.ts";
import { hasTool } from "../helpers/tools.ts";

const REPO = resolve(import.meta.dirname, "../..");

const ORIGINAL = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n192.168.1.5 nas.home\n";

const outputs = (hostsEntries: string[] | undefined, publishedPorts: unknown[] = []) =>
  JSON.stringify({ endpoints: {}, ...(hostsEntries ? { hostsEntries } : {}), publishedPorts });

const DESKTOP = ["192.168.1.10 father.aios.lan", "192.168.1.10 fleet.aios.lan", "192.168.1.10 traefik.aios.lan", "192.168.1.20 alpha.aios.lan"];
const LAPTOP = ["192.168.1.20 alpha.aios.lan", "192.168.1.20 traefik.aios.lan", "192.168.1.10 father.aios.lan"];
const DESKTOP_PORTS = [
  { service: "traefik", port: 443, protocol: "tcp" },
  { service: "dns", port: 53, protocol: "udp" },
];

describe("npm run hosts", () => {
  let fake: FakePulumi;
  let dir: string;
  let hostsFile: string;
  const env = () => ({ PATH: `${fake.dir}:/usr/bin:/bin`, AIOS_HOSTS_FILE: hostsFile });
  const run = (args: string[], extra: Record<string, string> = {}) => runTool("hosts", args, { cwd: dir, env: { ...env(), ...extra } });
  const blocks = (text: string) => text.split("\n").filter((l) => l.startsWith("# BEGIN aios-fleet")).length;

  beforeAll(() => {
    fake = fakePulumi();
    dir = mkdtempSync(join(tmpdir(), "aios-hosts-"));
    hostsFile = join(dir, "hosts");
  });
  beforeEach(() => {
    writeFileSync(hostsFile, ORIGINAL);
    chmodSync(hostsFile, 0o644);
    fake.answer("stack", "desktop", { stdout: outputs(DESKTOP, DESKTOP_PORTS) });
    fake.answer("stack", "laptop", { stdout: outputs(LAPTOP) });
    fake.answer("stack", "vps", { stdout: outputs(undefined) });
  });
  afterAll(() => {
    fake.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints one line per name over the stacks; the first stack named wins a name two give different addresses", async () => {
    const r = await run(["desktop", "laptop"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(DESKTOP);
    expect(r.stderr).toContain("traefik.aios.lan: desktop says 192.168.1.10, laptop says 192.168.1.20; keeping desktop's");
    expect(readFileSync(hostsFile, "utf8")).toBe(ORIGINAL);
  });

  it("every stack by default; the vps, whose names are public, is noted and skipped", async () => {
    writeFileSync(join(dir, "Pulumi.desktop.yaml"), "config: {}\n");
    writeFileSync(join(dir, "Pulumi.vps.yaml"), "config: {}\n");
    try {
      const r = await run([]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split("\n")).toEqual(DESKTOP);
      expect(r.stderr).toMatch(/^vps: no hostsEntries output/m);
    } finally {
      rmSync(join(dir, "Pulumi.desktop.yaml"));
      rmSync(join(dir, "Pulumi.vps.yaml"));
    }
  });

  it("--apply writes one marked block and keeps the rest; a second run changes nothing; a changed address rewrites the block", async () => {
    const first = await run(["desktop", "--apply"]);
    expect(first.code, first.stderr).toBe(0);
    const written = readFileSync(hostsFile, "utf8");
    expect(written).toBe(`${ORIGINAL}${[BLOCK_BEGIN, ...DESKTOP, BLOCK_END].join("\n")}\n`);

    const second = await run(["desktop", "--apply"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("already up to date");
    expect(readFileSync(hostsFile, "utf8")).toBe(written);

    fake.answer("stack", "desktop", { stdout: outputs(DESKTOP.map((l) => l.replace("192.168.1.10", "192.168.1.11"))) });
    const moved = await run(["desktop", "--apply"]);
    expect(moved.code, moved.stderr).toBe(0);
    const after = readFileSync(hostsFile, "utf8");
    expect(blocks(after)).toBe(1);
    expect(after).toContain("192.168.1.11 father.aios.lan\n");
    expect(after).not.toContain("192.168.1.10 father.aios.lan");
    expect(after.startsWith(ORIGINAL)).toBe(true);
  });

  it("a stack that cannot be read stops it before the file is touched", async () => {
    fake.answer("stack", "laptop", { stderr: "error: no stack named 'laptop' found\n", code: 255 });
    const r = await run(["desktop", "laptop", "--apply"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('laptop: error: stack "laptop" does not exist');
    expect(readFileSync(hostsFile, "utf8")).toBe(ORIGINAL);
  });

  it("--windows prints the PowerShell hosts line and the firewall rules of each stack's published ports, touching no file", async () => {
    const r = await run(["desktop", "laptop", "--windows", "--apply"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(hostsFile, "utf8")).toBe(ORIGINAL);
    const hostsLine = r.stdout.split("\n").find((l) => l.startsWith("$f = "))!;
    expect(hostsLine).toContain("drivers\\etc\\hosts");
    for (const l of DESKTOP) expect(hostsLine).toContain(`'${l}'`);
    expect(r.stdout).toContain(
      "New-NetFirewallRule -DisplayName 'aios-fleet desktop dns 53/udp' -Direction Inbound -Action Allow -Profile Private -Protocol UDP -LocalPort 53",
    );
    expect(r.stdout).toContain("-Protocol TCP -LocalPort 443");
    expect(r.stdout).not.toContain("aios-fleet laptop");
  });
});

// root may write any file, so the refusal is shown by running the command as nobody
const asNobody = process.getuid?.() === 0 && hasTool("setpriv");
describe("npm run hosts --apply without write rights", () => {
  it("says so and changes nothing", async () => {
    const fake = fakePulumi();
    const dir = mkdtempSync(join(tmpdir(), "aios-hosts-ro-"));
    const hostsFile = join(dir, "hosts");
    // nobody must reach the files through the directories above this run's temp dir, the
    // checkout and node (traverse only, no listing): a clone or temp dir may sit in a 0700 one
    const above = (p: string): string[] => (p === dirname(p) ? [] : [dirname(p), ...above(dirname(p))]);
    const modes = new Map(
      [tmpdir(), ...above(tmpdir()), ...above(REPO), ...above(process.execPath)].map((d) => [d, statSync(d).mode & 0o7777]),
    );
    try {
      writeFileSync(hostsFile, ORIGINAL);
      chmodSync(hostsFile, 0o444);
      for (const d of [dir, fake.dir]) chmodSync(d, 0o755);
      if (asNobody) for (const [d, mode] of modes) chmodSync(d, mode | 0o711);
      fake.answer("stack", "desktop", { stdout: outputs(DESKTOP) });
      const env = { PATH: `${fake.dir}:/usr/bin:/bin`, AIOS_HOSTS_FILE: hostsFile };
      const via = asNobody ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
      const r = await runTool("hosts", ["desktop", "--apply"], { cwd: dir, env, via });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot write ${hostsFile} as this user: run it as root with your environment (sudo -E ./aios hosts --apply keeps your Pulumi login)`);
      expect(r.stderr).toContain("nothing changed");
      expect(readFileSync(hostsFile, "utf8")).toBe(ORIGINAL);
    } finally {
      for (const [d, mode] of modes) chmodSync(d, mode);
      fake.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the hosts block", () => {
  it("replaces a block where it stood, and refuses a block that never ends", () => {
    const text = `a\n${BLOCK_BEGIN}\n1.2.3.4 old.aios.lan\n${BLOCK_END}\nb\n`;
    expect(withBlock(text, ["5.6.7.8 new.aios.lan"], "hosts")).toBe(`a\n${BLOCK_BEGIN}\n5.6.7.8 new.aios.lan\n${BLOCK_END}\nb\n`);
    expect(() => withBlock(`a\n${BLOCK_BEGIN}\nb\n`, [], "hosts")).toThrow(/hosts: line 2 opens an aios-fleet block that never ends/);
  });
});
