import { describe, expect, it } from "vitest";
import { driftedResources, parsePreview, previewErrors, splitUrn } from "../../tools/lib/preview.ts";
import { fixture } from "./fake-pulumi.ts";

describe("reading `pulumi preview --json`", () => {
  it("finds no drift when the only step is the stack itself, unchanged", () => {
    const digest = parsePreview(fixture("preview-no-drift.json"));
    expect(digest.steps).toHaveLength(1);
    expect(driftedResources(digest)).toEqual([]);
    expect(previewErrors(digest)).toEqual([]);
  });

  it("lists each drifted resource with its operation and changed properties, ignoring refresh steps", () => {
    const drift = driftedResources(parsePreview(fixture("preview-drift.json")));
    expect(drift.map((r) => [r.op, r.type, r.name])).toEqual([
      ["update", "docker:index/container:Container", "cell-father"],
      ["replace", "digitalocean:index/droplet:Droplet", "vps"],
      ["create", "docker:index/container:Container", "cell-nous"],
      ["delete", "digitalocean:index/firewall:Firewall", "legacy-ssh"],
    ]);
    expect(drift[0]!.properties).toEqual([
      { path: "envs[2]", kind: "update" },
      { path: "restart", kind: "update" },
    ]);
    expect(drift[1]!.properties).toEqual([
      { path: "region", kind: "update-replace" },
      { path: "size", kind: "update" },
    ]);
    expect(drift[2]!.properties).toEqual([]);
  });

  it("falls back to diffReasons and replaceReasons when the provider gave no detailed diff", () => {
    const urn = "urn:pulumi:vps::aios-fleet::tls:index/privateKey:PrivateKey::ca-key";
    const digest = parsePreview(
      JSON.stringify({ steps: [{ op: "replace", urn, diffReasons: ["rsaBits"], replaceReasons: ["algorithm"], detailedDiff: null }] }),
    );
    expect(driftedResources(digest)[0]!.properties).toEqual([
      { path: "rsaBits", kind: "update" },
      { path: "algorithm", kind: "update-replace" },
    ]);
  });

  it("reports a replacement once even when its create-replacement and delete-replaced steps are listed", () => {
    const urn = "urn:pulumi:vps::aios-fleet::digitalocean:index/droplet:Droplet::vps";
    const steps = ["create-replacement", "replace", "delete-replaced"].map((op) => ({ op, urn, detailedDiff: null }));
    expect(driftedResources(parsePreview(JSON.stringify({ steps })))).toMatchObject([{ op: "replace", name: "vps" }]);
  });

  it("returns the error diagnostics without the CLI's prefix, and not the program's stderr lines", () => {
    const digest = parsePreview(fixture("preview-error.json"));
    const errors = previewErrors(digest);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Running program '.*infra' failed with an unhandled exception:/);
    expect(errors[0]).toContain('cells[0].port: expected an integer from 1 to 65535, got "eighty"');
  });

  it("says what is wrong with output that is not a preview document", () => {
    expect(() => parsePreview("")).toThrow("pulumi preview printed nothing");
    expect(() => parsePreview("error: no stack named 'vps' found")).toThrow("did not print JSON");
    expect(() => parsePreview('{"steps": [{"op": "update"}]}')).toThrow(/at steps\.0\.urn/);
  });

  it("splits a URN with a parent type into the resource's own type and name", () => {
    expect(splitUrn("urn:pulumi:vps::aios-fleet::aios:infra:Cell$docker:index/container:Container::cell-father")).toEqual({
      type: "docker:index/container:Container",
      name: "cell-father",
    });
  });
});
