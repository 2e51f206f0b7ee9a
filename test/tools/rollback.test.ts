// `./aios rollback -- <stack>` end to end: the real command as a child process against a recording
// stand-in for the pulumi executable.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fakePulumi, runTool, type FakePulumi } from "./fake-pulumi.ts";

const GOOD = `sha256:${"2".repeat(64)}`;
const PREVIOUS = `sha256:${"1".repeat(64)}`;
const UP = (image: string) => `up --yes --non-interactive -s desktop --config-path --config aios:image.deploy=${image}`;

let fake: FakePulumi;
let project: string;
const env = () => ({ PATH: `${fake.dir}:/usr/bin:/bin` });
const rollback = (args = ["--", "desktop"]) => runTool("rollback", args, { cwd: project, env: env() });
const outputs = (appImages: unknown) => fake.answer("stack-output", "desktop", { stdout: JSON.stringify({ appImages, endpoints: {} }) });
const history = (...results: string[]) =>
  fake.answer("stack-history", "desktop", {
    // newest first, as the CLI prints it; a refresh in between is not an update
    stdout: JSON.stringify([
      { kind: "refresh", result: "succeeded", version: results.length + 1 },
      ...results.map((result, i) => ({ kind: "update", result, version: results.length - i })),
    ]),
  });

beforeEach(() => {
  fake = fakePulumi();
  project = mkdtempSync(join(tmpdir(), "aios-project-"));
});

afterEach(() => {
  fake.dispose();
  rmSync(project, { recursive: true, force: true });
});

describe("./aios rollback", () => {
  it("after a good update, deploys the release before it, without a build, and says how to undo the pin", async () => {
    outputs({ good: GOOD, previous: PREVIOUS });
    history("succeeded", "succeeded");
    fake.answer("up", "desktop", { stdout: "Updating (desktop)\n~ 2 updated\n" });
    const run = await rollback();
    expect(run.code).toBe(0);
    expect(fake.calls()).toEqual([
      "stack output --json -s desktop --non-interactive",
      "stack history --json -s desktop --non-interactive",
      UP(PREVIOUS),
    ]);
    expect(run.stdout).toContain(`desktop: rolling the app containers back to ${PREVIOUS} (the release before the current one); nothing is built`);
    expect(run.stdout).toContain("Updating (desktop)"); // pulumi's own output is shown as it runs
    expect(run.stdout).toMatch(/desktop: rolled back in \d+ s\. .*`pulumi config rm --path aios:image\.deploy -s desktop`/);
  });

  it("after a failed update (nothing released), goes back to the last good release", async () => {
    outputs({ good: GOOD, previous: PREVIOUS });
    history("failed", "succeeded");
    const run = await rollback();
    expect(run.code).toBe(0);
    expect(fake.calls().at(-1)).toBe(UP(GOOD));
    expect(run.stdout).toContain("the last update (version 2) failed: back to the last good release");
  });

  it("refuses, without deploying, when the device keeps no earlier release", async () => {
    outputs({ good: GOOD, previous: "" });
    history("succeeded");
    const run = await rollback();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the device keeps no release before ${GOOD}: nothing to roll back to`);
    expect(fake.calls().some((c) => c.startsWith("up "))).toBe(false);
  });

  it("says to deploy first when the stack has no appImages output", async () => {
    fake.answer("stack-output", "desktop", { stdout: JSON.stringify({ endpoints: {} }) });
    const run = await rollback();
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      'error: stack "desktop" has no appImages output: no release has been kept on the device yet (deploy with `pulumi up -s desktop` first)',
    );
  });

  it("exits 1 when pulumi up fails, and names the stack", async () => {
    outputs({ good: GOOD, previous: PREVIOUS });
    history("succeeded");
    fake.answer("up", "desktop", { stderr: "error: container failed to be in healthy state\n", code: 255 });
    const run = await rollback();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: container failed to be in healthy state");
    expect(run.stderr).toContain("desktop: rollback failed: pulumi up exited with 255");
  });

  it("needs exactly one stack name", async () => {
    const run = await rollback([]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe("error: usage: ./aios rollback -- <stack>");
    expect(fake.calls()).toEqual([]);
  });
});
