// Language detection and function-finding for code_analysis: file extensions first, then a few
// telltale constructs; functions are found by per-language patterns (declarations, not calls).

const EXTENSIONS: Record<string, string> = {
  ts: "typescript", tsx: "typescript", mts: "typescript", cts: "typescript",
  js: "javascript", jsx: "javascript", mjs: "javascript", cjs: "javascript",
  py: "python", go: "go", rs: "rust", sh: "shell", bash: "shell",
  java: "java", kt: "kotlin", swift: "swift", rb: "ruby", php: "php", cs: "csharp",
  c: "c", h: "c", cc: "cpp", cpp: "cpp", hpp: "cpp",
};

const ID = "[A-Za-z_$][\\w$]*";
const C_LIKE = new RegExp(`^[ \\t]*(?:[\\w<>\\[\\]*&:,]+[ \\t]+)+(${ID})[ \\t]*\\([^;{)]*\\)[^;{]*\\{`, "gm");

const FUNCTION_PATTERNS: Record<string, RegExp[]> = {
  typescript: [
    new RegExp(`\\bfunction\\*?\\s+(${ID})`, "g"),
    new RegExp(`\\b(?:const|let|var)\\s+(${ID})\\s*(?::[^=]+)?=\\s*(?:async\\s*)?(?:\\([^)]*\\)|${ID})\\s*(?::[^=]+)?=>`, "g"),
  ],
  python: [/^[ \t]*(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)/gm],
  go: [/^func[ \t]+(?:\([^)]*\)[ \t]*)?([A-Za-z_]\w*)/gm],
  rust: [/\bfn[ \t]+([A-Za-z_]\w*)/g],
  shell: [/^[ \t]*(?:function[ \t]+)?([A-Za-z_][\w-]*)[ \t]*\(\)/gm],
  ruby: [/^[ \t]*def[ \t]+(?:self\.)?([A-Za-z_]\w*[?!]?)/gm],
  php: [/\bfunction[ \t]+([A-Za-z_]\w*)/g],
  kotlin: [/\bfun[ \t]+(?:<[^>]*>[ \t]*)?(?:\w+\.)?([A-Za-z_]\w*)/g],
  swift: [/\bfunc[ \t]+([A-Za-z_]\w*)/g],
  java: [C_LIKE],
  csharp: [C_LIKE],
  c: [C_LIKE],
  cpp: [C_LIKE],
};
FUNCTION_PATTERNS.javascript = FUNCTION_PATTERNS.typescript!;

const NOT_FUNCTIONS = new Set(["if", "for", "while", "switch", "catch", "return", "else", "do", "sizeof"]);

export const KNOWN_LANGUAGES = Object.keys(FUNCTION_PATTERNS);

export function detectLanguage(code: string, filePath: string | undefined): string {
  const ext = filePath?.split(".").pop()?.toLowerCase();
  if (ext && filePath?.includes(".") && EXTENSIONS[ext]) return EXTENSIONS[ext];
  if (/^#!.*\b(ba|z)?sh\b/.test(code)) return "shell";
  if (/^#!.*\bpython/.test(code) || /^[ \t]*def [A-Za-z_]\w*\(.*\):/m.test(code)) return "python";
  if (/^package [a-z]\w*$/m.test(code) && /^func /m.test(code)) return "go";
  if (/\bfn [a-z_]\w*\(/.test(code) && /\blet (mut )?\w/.test(code)) return "rust";
  if (/:\s*(string|number|boolean)\b|\binterface \w+ \{/.test(code)) return "typescript";
  if (/\bfunction\b|=>|\bconst \w+ =/.test(code)) return "javascript";
  return "unknown";
}

export function findFunctions(code: string, language: string): string[] {
  const names: string[] = [];
  for (const pattern of FUNCTION_PATTERNS[language] ?? []) {
    for (const m of code.matchAll(pattern)) {
      const name = m[1];
      if (name && !NOT_FUNCTIONS.has(name) && !names.includes(name)) names.push(name);
    }
  }
  return names;
}

const COMMENT = /^\s*(\/\/|#(?!!)|\/\*|\*|--)/;

export function countLines(code: string): { lines: number; blank_lines: number; comment_lines: number } {
  const lines = code === "" ? [] : code.replace(/\r?\n$/, "").split(/\r?\n/);
  let blank = 0;
  let comment = 0;
  for (const l of lines) {
    if (l.trim() === "") blank++;
    else if (COMMENT.test(l)) comment++;
  }
  return { lines: lines.length, blank_lines: blank, comment_lines: comment };
}
