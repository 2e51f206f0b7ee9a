// The backup script for real: busybox-compatible sh, real tar and rclone, with a local directory
// standing in for the Spaces bucket.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { renderBackupCrontab, renderBackupScript, renderRcloneConfig } from "../../infra/render/backup-script.ts";
import { hasTool } from "../helpers/tools.ts";

const root = mkdtempSync(join(tmpdir(), "aios-backup-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const names = ["vault", "nats", "grafana"] as const;
type Name = (typeof names)[number];
let n = 0;
let data: Record<Name, string>;
let bucket: string;
let script: string;

/** Every file under dir, path -> content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = join(entry.parentPath, entry.name);
      out[full.slice(dir.length)] = readFileSync(full, "utf8");
    }
  }
  return out;
}

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("sh", [script, ...args], { encoding: "utf8", env: { ...process.env, RCLONE_CONFIG: join(root, "none.conf") } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The complete backups the script lists, oldest first. */
function listed(): string[] {
  return run("list").stdout.split("\n").filter(Boolean);
}

beforeEach(() => {
  const dir = join(root, `case-${n++}`);
  data = { vault: join(dir, "data", "vault"), nats: join(dir, "data", "nats"), grafana: join(dir, "data", "grafana") };
  bucket = join(dir, "bucket");
  mkdirSync(join(data.vault, "core"), { recursive: true });
  writeFileSync(join(data.vault, "core", "keyring"), "sealed-keyring-v1");
  mkdirSync(join(data.nats, "jetstream", "AIOS_MESSAGES"), { recursive: true });
  writeFileSync(join(data.nats, "jetstream", "AIOS_MESSAGES", "1.blk"), "msg-1");
  mkdirSync(data.grafana, { recursive: true });
  writeFileSync(join(data.grafana, "grafana.db"), "dashboards-v1");
  script = join(dir, "aios-backup.sh");
  writeFileSync(
    script,
    renderBackupScript({
      sources: names.map((name) => ({ name, path: data[name] })),
      target: bucket,
      keepDays: 14,
      statusFile: join(dir, "status"),
    }),
  );
  chmodSync(script, 0o755);
});

describe.runIf(hasTool("rclone") && hasTool("shellcheck"))("backup and restore, for real", () => {
  it("is shellcheck-clean as POSIX sh", () => {
    expect(() => execFileSync("shellcheck", ["--shell=sh", script], { encoding: "utf8" })).not.toThrow();
  });

  it("restores the newest backup after the data was damaged", () => {
    const before = names.map((name) => snapshot(data[name]));
    expect(run("backup").status).toBe(0);
    const stamp = listed().join();
    expect(stamp).toMatch(/^\d{8}T\d{6}Z$/);
    expect(readdirSync(join(bucket, stamp)).sort()).toEqual(["COMPLETE", "grafana.tar.gz", "nats.tar.gz", "vault.tar.gz"]);

    writeFileSync(join(data.vault, "core", "keyring"), "overwritten");
    rmSync(join(data.nats, "jetstream"), { recursive: true });
    writeFileSync(join(data.grafana, "stray.tmp"), "left behind");

    const restored = run("restore");
    expect(restored.stderr).toContain(`restored ${stamp}`);
    expect(restored.status).toBe(0);
    expect(names.map((name) => snapshot(data[name]))).toEqual(before);
  });

  it("restores an older backup by name, and never one that was interrupted", async () => {
    expect(run("backup").status).toBe(0);
    const first = listed().join();
    writeFileSync(join(data.grafana, "grafana.db"), "dashboards-v2");
    // Backups are named by the UTC second: start the second one in a later second (bounded wait).
    const stampNow = () => new Date().toISOString().replace(/[-:]|\.\d+/g, "");
    for (let i = 0; i < 30 && stampNow() <= first; i++) await new Promise((r) => setTimeout(r, 100));
    expect(run("backup").status).toBe(0);
    const all = listed();
    expect(all).toHaveLength(2);
    expect(all[0]).toBe(first);

    // A backup without its COMPLETE marker (cut off half way) is not listed and not restorable.
    mkdirSync(join(bucket, "29991231T235959Z"));
    writeFileSync(join(bucket, "29991231T235959Z", "vault.tar.gz"), "partial");
    expect(listed()).toEqual(all);
    expect(run("restore", "29991231T235959Z").status).not.toBe(0);

    expect(run("restore", first).status).toBe(0);
    expect(readFileSync(join(data.grafana, "grafana.db"), "utf8")).toBe("dashboards-v1");
  });

  it("touches no data when one archive of the backup is damaged", () => {
    expect(run("backup").status).toBe(0);
    const stamp = listed().join();
    writeFileSync(join(bucket, stamp, "nats.tar.gz"), "not a tarball");
    writeFileSync(join(data.vault, "core", "keyring"), "newer-keyring");

    const r = run("restore", stamp);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("nats.tar.gz");
    expect(readFileSync(join(data.vault, "core", "keyring"), "utf8")).toBe("newer-keyring");
  });

  it("fails a backup whose data directory is missing, writing no COMPLETE marker", () => {
    rmSync(data.nats, { recursive: true });
    const r = run("backup");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("nats:");
    expect(listed()).toEqual([]);
    expect(existsSync(bucket) ? readdirSync(bucket, { recursive: true }).filter((f) => String(f).endsWith("COMPLETE")) : []).toEqual([]);
  });

  it("health passes before any backup and after a good one, and fails after a failed one, saying when", () => {
    expect(run("health")).toMatchObject({ status: 0, stdout: "no backup has run yet\n" });
    expect(run("backup").status).toBe(0);
    expect(run("health")).toMatchObject({ status: 0, stdout: expect.stringMatching(/^last backup: \S+Z ok\n$/) });
    rmSync(data.vault, { recursive: true });
    expect(run("backup").status).not.toBe(0);
    expect(run("health")).toMatchObject({ status: 1, stdout: expect.stringMatching(/^last backup: \S+Z failed \(exit 1\)\n$/) });
  });
});

describe("backup renderers", () => {
  it("refuses names and paths a shell would interpret, naming the field", () => {
    const ok = { sources: [{ name: "vault", path: "/data/vault" }], target: "spaces:b/aios", keepDays: 7 };
    expect(() => renderBackupScript({ ...ok, target: "spaces:b/$(reboot)" })).toThrow(/^target:/);
    expect(() => renderBackupScript({ ...ok, sources: [{ name: "vault", path: "data; rm -rf /" }] })).toThrow(/^sources\.vault:/);
    expect(() => renderBackupScript({ ...ok, keepDays: 0 })).toThrow(/^keepDays:/);
  });

  it("writes a crontab line and a private Spaces remote for rclone", () => {
    expect(renderBackupCrontab("17 3 * * *", "/backup/aios-backup.sh")).toBe("17 3 * * * /backup/aios-backup.sh backup\n");
    expect(() => renderBackupCrontab("daily", "/x")).toThrow(/^schedule:/);
    const conf = renderRcloneConfig({ region: "fra1", accessKeyId: "AK", secretAccessKey: "SK" });
    expect(conf).toContain("endpoint = fra1.digitaloceanspaces.com");
    expect(conf).toContain("provider = DigitalOcean");
    expect(conf).toContain("acl = private");
  });
});
