// `npm run drift` end to end: the real command as a child process against a recording stand-in
// for the pulumi executable.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakePulumi, fixture, runTool, type FakePulumi } from "./fake-pulumi.ts";

const PREVIEW_ARGS = "preview --refresh --expect-no-changes --json";

let fake: FakePulumi;
let project: string;
const env = () => ({ PATH: `${fake.dir}:/usr/bin:/bin` });

beforeEach(() => {
  fake = fakePulumi();
  project = mkdtempSync(join(tmpdir(), "aios-project-"));
  writeFileSync(join(project, "Pulumi.yaml"), "name: aios-fleet\nruntime: nodejs\nmain: infra/\n");
  for (const s of ["desktop", "laptop", "vps"]) {
    writeFileSync(join(project, `Pulumi.${s}.yaml`), "config: {}\n");
    fake.answer("stack-output", s, { stdout: JSON.stringify({ docker: { host: "", containers: [] } }) });
  }
});

afterEach(() => {
  fake.dispose();
  rmSync(project, { recursive: true, force: true });
});

describe("npm run drift", () => {
  it("checks every stack with a Pulumi.<stack>.yaml and exits 0 when none drifted", async () => {
    for (const s of ["desktop", "laptop", "vps"]) {
      // --expect-no-changes exits 0 when the preview proposes nothing
      fake.answer("preview", s, { stdout: fixture("preview-no-drift.json") });
    }
    const run = await runTool("drift", [], { cwd: project, env: env() });
    expect(run.stdout.trim().split("\n")).toEqual(["desktop: no drift", "laptop: no drift", "vps: no drift"]);
    expect(run.code).toBe(0);
    expect(fake.calls()).toEqual(
      ["desktop", "laptop", "vps"].flatMap((s) => [`${PREVIEW_ARGS} -s ${s} --non-interactive`, `stack output --json -s ${s} --non-interactive`]),
    );
  });

  it("prints each drifted resource with its operation and properties, and exits 2", async () => {
    fake.answer("preview", "desktop", { stdout: fixture("preview-no-drift.json") });
    // with changes, --expect-no-changes makes the CLI exit non-zero (255) after printing the JSON
    fake.answer("preview", "vps", { stdout: fixture("preview-drift.json"), stderr: "error: no changes were expected but changes were proposed\n", code: 255 });
    const run = await runTool("drift", ["desktop", "vps"], { cwd: project, env: env() });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("desktop: no drift");
    expect(run.stdout).toContain("vps: drift in 4 resources");
    expect(run.stdout).toMatch(/update +docker:index\/container:Container cell-father: envs\[2\] \(update\), restart \(update\)/);
    expect(run.stdout).toMatch(/replace +digitalocean:index\/droplet:Droplet vps: region \(update-replace\), size \(update\)/);
    expect(run.stdout).toMatch(/create +docker:index\/container:Container cell-nous\n/);
    expect(run.stdout).toMatch(/delete +digitalocean:index\/firewall:Firewall legacy-ssh/);
    expect(fake.calls()).toHaveLength(4);
  });

  it("exits 1 and shows the program's error when a preview fails, even if another stack drifted", async () => {
    fake.answer("preview", "laptop", { stdout: fixture("preview-error.json"), code: 255 });
    fake.answer("preview", "vps", { stdout: fixture("preview-drift.json"), code: 255 });
    const run = await runTool("drift", ["laptop", "vps"], { cwd: project, env: env() });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("laptop: error: Running program '/home/user/aios-fleet/infra' failed with an unhandled exception:");
    expect(run.stdout).toContain('cells[0].port: expected an integer from 1 to 65535, got "eighty"');
    expect(run.stdout).toContain("vps: drift in 4 resources");
  });

  it("says in one line to install Pulumi when the CLI is missing", async () => {
    const empty = mkdtempSync(join(tmpdir(), "aios-empty-path-"));
    const run = await runTool("drift", [], { cwd: project, env: { PATH: empty } });
    rmSync(empty, { recursive: true });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toEqual([
      "error: the Pulumi CLI is not installed (no `pulumi` on PATH): install it from https://www.pulumi.com/docs/install/ or set PULUMI_BIN to its path",
    ]);
  });

  it("uses PULUMI_BIN when set, and names it when it cannot be run", async () => {
    fake.answer("preview", "vps", { stdout: fixture("preview-no-drift.json") });
    const ok = await runTool("drift", ["vps"], { cwd: project, env: { PATH: "/usr/bin:/bin", PULUMI_BIN: join(fake.dir, "pulumi") } });
    expect(ok.stdout.trim()).toBe("vps: no drift");
    const bad = await runTool("drift", ["vps"], { cwd: project, env: { PATH: "/usr/bin:/bin", PULUMI_BIN: join(fake.dir, "nope") } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`PULUMI_BIN is "${join(fake.dir, "nope")}" but that cannot be run`);
  });

  it("tells how to create a stack that does not exist", async () => {
    fake.answer("preview", "phone", { stderr: "error: no stack named 'phone' found\n", code: 255 });
    const run = await runTool("drift", ["phone"], { cwd: project, env: env() });
    expect(run.code).toBe(1);
    expect(run.stdout.trim()).toBe(
      'phone: error: stack "phone" does not exist on this backend: create it with `pulumi stack init phone`, or check `pulumi whoami -v` shows the backend you deployed to',
    );
  });

  it("tells how to log in when the backend needs it", async () => {
    fake.answer("preview", "desktop", {
      stderr: "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n",
      code: 255,
    });
    const run = await runTool("drift", ["desktop"], { cwd: project, env: env() });
    expect(run.code).toBe(1);
    expect(run.stdout.trim()).toBe(
      "desktop: error: not logged in to a Pulumi backend: run `pulumi login` (or set PULUMI_ACCESS_TOKEN, or PULUMI_BACKEND_URL for a self-managed backend)",
    );
  });

  it("tells where to run it when there is no Pulumi.yaml, and checks the three stacks when no stack file exists", async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), "aios-not-a-project-"));
    for (const s of ["desktop", "laptop", "vps"]) {
      fake.answer("preview", s, {
        stderr: `error: no Pulumi.yaml project file found (searching upwards from ${elsewhere}). If you have not created a project yet, use \`pulumi new\` to do so: no project file found\n`,
        code: 255,
      });
    }
    const run = await runTool("drift", [], { cwd: elsewhere, env: env() });
    rmSync(elsewhere, { recursive: true });
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split("\n")).toEqual(
      ["desktop", "laptop", "vps"].map((s) => `${s}: error: no Pulumi.yaml found: run this from the project root (where Pulumi.yaml is)`),
    );
  });

  it("rejects a stack name that pulumi would read as a flag, before running anything", async () => {
    const run = await runTool("drift", ["--", "-s"], { cwd: project, env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('"-s" is not a stack name');
    expect(fake.calls()).toEqual([]);
  });

  describe("container health", () => {
    const state = (running: boolean, status: string, streak: number, output?: string) => ({
      Running: running,
      Health: { Status: status, FailingStreak: streak, Log: output === undefined ? null : [{ ExitCode: 0, Output: "" }, { ExitCode: 1, Output: output }] },
    });

    it("names each container that runs but fails its health check, with its last check's output, and exits 2", async () => {
      fake.answer("preview", "desktop", { stdout: fixture("preview-no-drift.json") });
      fake.answer("stack-output", "desktop", {
        stdout: JSON.stringify({ docker: { host: "ssh://me@desktop", containers: ["aios-father", "aios-nous", "aios-grafana", "aios-gone"] } }),
      });
      fake.docker({
        stdout: JSON.stringify([
          { Name: "/aios-father", State: state(true, "unhealthy", 4, "healthcheck: http://127.0.0.1:8000/health: connect ECONNREFUSED 127.0.0.1:8000\n") },
          { Name: "/aios-nous", State: state(true, "healthy", 0, "") },
          // stopped, or still in its start period: not "running but unhealthy"
          { Name: "/aios-grafana", State: state(false, "unhealthy", 3, "wget: can't connect") },
        ]),
        stderr: "Error: No such object: aios-gone\n",
        code: 1,
      });
      const run = await runTool("drift", ["desktop"], { cwd: project, env: env() });
      expect(run.stdout.trim().split("\n")).toEqual([
        "desktop: no drift",
        "desktop: 1 container running but unhealthy",
        "  aios-father: unhealthy, 4 failed checks in a row; last check exit 1: healthcheck: http://127.0.0.1:8000/health: connect ECONNREFUSED 127.0.0.1:8000",
      ]);
      expect(run.code).toBe(2);
      expect(fake.dockerCalls()).toEqual(["DOCKER_HOST=ssh://me@desktop inspect aios-father aios-nous aios-grafana aios-gone"]);
    });

    it("exits 0 when every container is healthy, asking the local daemon when the stack's host is empty", async () => {
      fake.answer("preview", "laptop", { stdout: fixture("preview-no-drift.json") });
      fake.answer("stack-output", "laptop", { stdout: JSON.stringify({ docker: { host: "", containers: ["aios-alpha"] } }) });
      fake.docker({ stdout: JSON.stringify([{ Name: "/aios-alpha", State: state(true, "healthy", 0, "") }]) });
      const run = await runTool("drift", ["laptop"], { cwd: project, env: { ...env(), DOCKER_HOST: "" } });
      expect(run.stdout.trim()).toBe("laptop: no drift");
      expect(run.code).toBe(0);
      expect(fake.dockerCalls()).toEqual(["DOCKER_HOST= inspect aios-alpha"]);
    });

    it("says so when a stack was deployed before it had a docker output, without failing", async () => {
      fake.answer("preview", "vps", { stdout: fixture("preview-no-drift.json") });
      fake.answer("stack-output", "vps", { stdout: JSON.stringify({ endpoints: {} }) });
      const run = await runTool("drift", ["vps"], { cwd: project, env: env() });
      expect(run.stdout.trim().split("\n")).toEqual([
        "vps: no drift",
        "vps: container health not checked: the stack has no `docker` output yet (pulumi up -s vps)",
      ]);
      expect(run.code).toBe(0);
    });

    it("exits 1 naming the daemon when docker cannot reach it", async () => {
      fake.answer("preview", "desktop", { stdout: fixture("preview-no-drift.json") });
      fake.answer("stack-output", "desktop", { stdout: JSON.stringify({ docker: { host: "ssh://me@desktop", containers: ["aios-father"] } }) });
      fake.docker({ stderr: "error during connect: ssh: connect to host desktop port 22: Connection refused\n", code: 1 });
      const run = await runTool("drift", ["desktop"], { cwd: project, env: env() });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        "desktop: error: container health not checked: docker inspect on ssh://me@desktop failed: error during connect: ssh: connect to host desktop port 22: Connection refused",
      );
    });
  });
});
