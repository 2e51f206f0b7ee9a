// The image installs app/ with `npm ci` from app/package-lock.json; a dependency added to
// app/package.json without refreshing that lock would break the image build.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const read = (file: string) => JSON.parse(readFileSync(resolve(import.meta.dirname, "../../app", file), "utf8"));

describe("app/package-lock.json", () => {
  it("locks exactly the dependencies app/package.json declares", () => {
    const pkg = read("package.json") as { dependencies?: Record<string, string> };
    const lock = read("package-lock.json") as { packages: Record<string, { dependencies?: Record<string, string> }> };
    expect(
      lock.packages[""]?.dependencies,
      "app/package-lock.json is stale: refresh it with `cp app/package.json /tmp/l/ && npm install --package-lock-only --prefix /tmp/l` and copy /tmp/l/package-lock.json back",
    ).toEqual(pkg.dependencies);
  });
});
