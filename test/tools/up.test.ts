// `./aios up -- <stack>` end to end against recording stand-ins for pulumi and docker: a failed
// update names each container that is not healthy with its last health-check output.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakePulumi, runTool, type FakePulumi } from "./fake-pulumi.ts";

let fake: FakePulumi;
let project: string;
const env = () => ({ PATH: `${fake.dir}:/usr/bin:/bin` });
const PROVIDER_ERROR = "  docker:index:Container (father):\n    error: container failed to be in healthy state\n";

beforeEach(() => {
  fake = fakePulumi();
  project = mkdtempSync(join(tmpdir(), "aios-project-"));
  fake.answer("stack-output", "desktop", {
    stdout: JSON.stringify({ docker: { host: "ssh://me@desktop", containers: ["aios-father", "aios-nous", "aios-nats-exporter"] } }),
  });
});

afterEach(() => {
  fake.dispose();
  rmSync(project, { recursive: true, force: true });
});

describe("./aios up", () => {
  it("passes the flags on to pulumi up and checks nothing more when it succeeds", async () => {
    fake.answer("up", "desktop", { stdout: "Resources:\n    12 unchanged\n" });
    const run = await runTool("up", ["--", "desktop", "--yes"], { cwd: project, env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("12 unchanged");
    expect(fake.calls()).toEqual(["up -s desktop --yes"]);
    expect(fake.dockerCalls()).toEqual([]);
  });

  it("when the update fails, names the member that never got healthy and what its last check printed", async () => {
    fake.answer("up", "desktop", { stderr: PROVIDER_ERROR, code: 255 });
    fake.docker({
      stdout: JSON.stringify([
        {
          Name: "/aios-father",
          State: {
            Running: true,
            Health: { Status: "starting", FailingStreak: 2, Log: [{ ExitCode: 1, Output: "healthcheck: http://127.0.0.1:8000/health: connect ECONNREFUSED 127.0.0.1:8000\n" }] },
          },
        },
        { Name: "/aios-nous", State: { Running: true, Health: { Status: "healthy", FailingStreak: 0, Log: [] } } },
        // no health check of its own: not judged
        { Name: "/aios-nats-exporter", State: { Running: true } },
      ]),
    });
    const run = await runTool("up", ["--", "desktop", "--yes"], { cwd: project, env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: container failed to be in healthy state");
    expect(run.stderr.trim().split("\n").slice(-3)).toEqual([
      "desktop: pulumi up exited with 255",
      "desktop: not healthy after the update:",
      "  aios-father: starting, 2 failed checks in a row; last check exit 1: healthcheck: http://127.0.0.1:8000/health: connect ECONNREFUSED 127.0.0.1:8000",
    ]);
    expect(fake.dockerCalls()).toEqual(["DOCKER_HOST=ssh://me@desktop inspect aios-father aios-nous aios-nats-exporter"]);
  });

  it("still exits 1 with pulumi's error when the daemon cannot be asked", async () => {
    fake.answer("up", "desktop", { stderr: PROVIDER_ERROR, code: 255 });
    fake.docker({ stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock\n", code: 1 });
    const run = await runTool("up", ["--", "desktop"], { cwd: project, env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "desktop: container health not read: docker inspect on ssh://me@desktop failed: Cannot connect to the Docker daemon at unix:///var/run/docker.sock",
    );
  });

  it("needs a stack name", async () => {
    const run = await runTool("up", [], { cwd: project, env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe("error: usage: ./aios up -- <stack> [pulumi up flags]");
  });
});
