// Packages the app for a device: writes dist/ with every src/*.ts file as plain JavaScript,
// using Node's own type stripper (the app uses erasable syntax only, so this is exact) and
// pointing relative imports at the .js files. Running dist/ instead of src/ spares every
// process the in-memory TypeScript transform (about 20 MB of resident memory per process).
// Usage: node scripts/package.ts [outDir]   (default: dist/ next to src/)
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { dirname, join, relative, resolve } from "node:path";

const appDir = resolve(import.meta.dirname, "..");
const srcDir = join(appDir, "src");
const outDir = resolve(process.argv[2] ?? join(appDir, "dist"));

const files = readdirSync(srcDir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith(".ts"))
  .map((e) => join(e.parentPath, e.name));

rmSync(outDir, { recursive: true, force: true });
for (const file of files) {
  const js = stripTypeScriptTypes(readFileSync(file, "utf8"), { mode: "strip" })
    // "./x.ts" and "../y/z.ts" in static and dynamic imports (the only relative specifiers used)
    .replace(/(["'])(\.\.?\/[^"'\n]+)\.ts\1/g, "$1$2.js$1");
  const out = join(outDir, relative(srcDir, file)).replace(/\.ts$/, ".js");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, js);
}
process.stdout.write(`packaged ${files.length} files into ${relative(process.cwd(), outDir) || "."}\n`);
