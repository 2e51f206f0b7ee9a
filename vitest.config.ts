import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Suites start real servers (nats-server, cells, Prometheus); two workers fit the 2-core machine.
    maxWorkers: 2,
    reporters: ["default", ["json", { outputFile: ".vitest-results.json" }]],
  },
});
