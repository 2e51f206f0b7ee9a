import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "**/node_modules/", ".tools/", "coverage/", "vscode-extension/dist/", "test-artifacts/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" }],
    },
  },
  // the fleet map's page script, run by the browser as it is
  {
    files: ["app/public/**/*.js"],
    languageOptions: {
      sourceType: "script",
      globals: { window: "readonly", document: "readonly", fetch: "readonly", EventSource: "readonly", setTimeout: "readonly", setInterval: "readonly" },
    },
  },
  // plain-JavaScript bench programs run by node as they are
  { files: ["**/*.mjs", "**/*.cjs"], languageOptions: { globals: { process: "readonly" } } },
  { files: ["**/*.cjs"], languageOptions: { sourceType: "commonjs", globals: { require: "readonly" } }, rules: { "@typescript-eslint/no-require-imports": "off" } },
);
