// Updates under Pulumi's mocks: what the engine is told about every container (wait for healthy,
// its timeout, delete-before-replace, a stop grace period), the order cells are replaced in, the
// release step that keeps the good image, a deploy of a kept image without a build, and a second
// run with the same config registering exactly the same inputs (no perpetual diff).
import { describe, expect, it } from "vitest";
import { parseConfig, StackConfigError } from "../../infra/config.ts";
import { CELL_DRAIN_MS } from "../../infra/render/traefik.ts";
import { CONTAINER, containers } from "./device-checks.ts";
import { resolve, runStack, unwrap, type Registered } from "./mock-stack.ts";
import { loadStackConfig } from "./stack-config.ts";

const find = (resources: Registered[], type: string, name: string): Registered => {
  const r = resources.find((x) => x.type === type && x.name === name);
  if (!r) throw new Error(`no ${type} ${name}`);
  return r;
};
const container = (resources: Registered[], name: string) => find(resources, CONTAINER, name);
const APP = new Set(["father", "nous", "discovery"]);

describe("updates of the desktop stack", () => {
  it("every container waits for healthy (2 min by default), is stopped with a grace period and deleted before its replacement", async () => {
    const { resources } = await runStack("desktop");
    const all = containers(resources);
    expect(all.length).toBe(11); // with the LAN DNS server
    for (const c of all) {
      expect(c.inputs, c.name).toMatchObject({ wait: true, waitTimeout: 120, destroyGraceSeconds: 20 });
      expect(c.deleteBeforeReplace, c.name).toBe(true);
    }
  });

  it("has each cell drain before it stops, for longer than cells.<domain> needs to notice; other members stop at once", async () => {
    const { resources } = await runStack("desktop");
    const drain = (name: string) => (unwrap(container(resources, name).inputs.envs) as string[]).find((e) => e.startsWith("AIOS_DRAIN_MS="));
    expect(drain("father")).toBe(`AIOS_DRAIN_MS=${CELL_DRAIN_MS}`);
    expect(drain("nous")).toBe(`AIOS_DRAIN_MS=${CELL_DRAIN_MS}`);
    expect(drain("discovery")).toBeUndefined();
    // the drain fits in the stop grace period, with the time to close after it
    expect(CELL_DRAIN_MS + 10_000).toBeLessThanOrEqual(Number(container(resources, "father").inputs.destroyGraceSeconds) * 1000);
  });

  it("takes the timeout from aios:rollout.healthTimeout, and names the key when it is out of range", async () => {
    const { resources } = await runStack("desktop", { "aios:rollout": JSON.stringify({ healthTimeout: "45s" }) });
    for (const c of containers(resources)) expect(c.inputs.waitTimeout, c.name).toBe(45);
    const raw = { ...loadStackConfig("desktop"), "aios:rollout": JSON.stringify({ healthTimeout: "5s" }) };
    expect(() => parseConfig(raw)).toThrow(StackConfigError);
    expect(() => parseConfig(raw)).toThrow("aios:rollout.healthTimeout: expected from 10s to 1h");
  });

  it("replaces the cells one after another: nous is not touched before father's new container is healthy", async () => {
    // father's container takes a while to be created (the provider waiting for healthy): the
    // engine hears of nous's container only once father's is done
    const { resources } = await runStack("desktop", {}, { slow: ["father"] });
    const father = container(resources, "father");
    expect(container(resources, "nous").startedAt).toBeGreaterThan(father.answeredAt);
    expect(find(resources, "aios:infra:Cell", "nous").dependencies).toContain(father.urn);
    expect(find(resources, "aios:infra:Cell", "father").dependencies).not.toContain(container(resources, "nous").urn);
  });

  it("chains every app member, not only the cells: each organelle waits for the one before it", async () => {
    const { resources } = await runStack("laptop", { "aios:organelleHost": '{"mode":"separate"}', "aios:memoryBudgetMb": "600" });
    const order = ["alpha", "network-listener", "vscode-bridge", "consciousness-sync", "task-dispatcher"];
    for (let i = 1; i < order.length; i++) {
      const member = resources.find((r) => r.name === order[i] && r.type.startsWith("aios:infra:"))!;
      expect(member.dependencies, order[i]).toContain(container(resources, order[i - 1]!).urn);
    }
  });

  it("marks the image good only after every app container is healthy on it, and exports what is kept", async () => {
    const { resources, device } = await runStack("desktop", {}, { slow: ["father", "nous", "discovery"] });
    const release = find(resources, "command:local:Command", "release");
    for (const name of APP) {
      expect(find(resources, "aios:infra:Release", "release").dependencies, name).toContain(container(resources, name).urn);
      expect(release.startedAt, name).toBeGreaterThan(container(resources, name).answeredAt);
    }
    const image = `sha256:${"a".repeat(64)}`;
    expect(unwrap(release.inputs.environment)).toEqual({ IMAGE: image, DOCKER_HOST: "" });
    expect(unwrap(release.inputs.triggers)).toEqual([image]);
    expect(String(release.inputs.create)).toContain("REPO='aios-app'");
    expect(await resolve(device.outputs.appImages!)).toEqual({ good: image, previous: "" });
  });

  it("exports where the containers run and their names, for the health check of npm run drift", async () => {
    const { device } = await runStack("desktop", { "aios:docker": JSON.stringify({ host: "ssh://me@desktop" }) });
    const out = await resolve(device.outputs.docker);
    expect(out.host).toBe("ssh://me@desktop");
    expect(out.containers).toContain("aios-father");
    expect(out.containers).toHaveLength(10);
    expect(await resolve((await runStack("laptop")).device.outputs.docker)).toMatchObject({ host: "" });
  });

  it("with aios:image.deploy, runs that image in the app containers and builds nothing", async () => {
    const kept = `sha256:${"b".repeat(64)}`;
    const { resources } = await runStack("desktop", { "aios:image": JSON.stringify({ name: "aios-app", deploy: kept }) });
    expect(resources.filter((r) => r.type === "docker:index/image:Image")).toEqual([]);
    for (const c of containers(resources)) {
      if (APP.has(c.name)) expect(c.inputs.image, c.name).toBe(kept);
      else expect(c.inputs.image, c.name).not.toBe(kept);
    }
    const bad = { ...loadStackConfig("desktop"), "aios:image": JSON.stringify({ deploy: "aios-app:previous" }) };
    expect(() => parseConfig(bad)).toThrow("aios:image.deploy: expected an image id sha256:<64 hex digits>");
  });

  it("registers the same inputs, in the same order, when run twice with the same config", async () => {
    const inputsOf = (resources: Registered[]) => resources.map((r) => ({ type: r.type, name: r.name, inputs: r.inputs, deps: r.dependencies.length }));
    for (const stack of ["desktop", "laptop"]) {
      const first = inputsOf((await runStack(stack)).resources);
      const second = inputsOf((await runStack(stack)).resources);
      expect(second.map((r) => `${r.type} ${r.name}`), stack).toEqual(first.map((r) => `${r.type} ${r.name}`));
      for (const [i, r] of first.entries()) expect(second[i], `${stack}: ${r.type} ${r.name}`).toEqual(r);
    }
  });
});
