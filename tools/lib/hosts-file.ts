// The hosts-file side of `./aios hosts`: the stacks' `hostsEntries` merged into one list (the
// first stack named wins a name two stacks give different addresses), one marked block in a
// hosts file (replaced in place, so running it twice leaves one block), and the PowerShell lines
// a Windows machine runs as administrator instead (its hosts file, and firewall rules for the
// ports a stack publishes).
export const BLOCK_BEGIN = "# BEGIN aios-fleet (written by ./aios hosts; edits inside are replaced)";
export const BLOCK_END = "# END aios-fleet";

export interface StackHosts {
  stack: string;
  lines: string[];
}

export interface PublishedPort {
  service: string;
  port: number;
  protocol: "tcp" | "udp";
}

/** One `<address> <name>` line per name, and a note for each name two stacks disagree on. */
export function mergeEntries(stacks: StackHosts[]): { lines: string[]; notes: string[] } {
  const owner = new Map<string, { address: string; stack: string }>();
  const notes: string[] = [];
  for (const { stack, lines } of stacks) {
    for (const line of lines) {
      const [address, name] = line.trim().split(/\s+/);
      if (!address || !name) continue;
      const first = owner.get(name);
      if (!first) owner.set(name, { address, stack });
      else if (first.address !== address) {
        notes.push(`${name}: ${first.stack} says ${first.address}, ${stack} says ${address}; keeping ${first.stack}'s (name that stack first to choose)`);
      }
    }
  }
  return { lines: [...owner].map(([name, o]) => `${o.address} ${name}`), notes };
}

const MARK_BEGIN = "# BEGIN aios-fleet";
const MARK_END = "# END aios-fleet";

/**
 * The hosts file with exactly one aios block holding `lines`: an earlier block is replaced where
 * it stood, everything else kept. A block that never ends is an error (nothing is guessed).
 */
export function withBlock(current: string, lines: string[], file: string): string {
  const block = [BLOCK_BEGIN, ...lines, BLOCK_END];
  const out: string[] = [];
  let begun = -1;
  let placed = false;
  current.split(/\r?\n/).forEach((line, i) => {
    if (begun < 0 && line.startsWith(MARK_BEGIN)) begun = i;
    else if (begun >= 0 && line.startsWith(MARK_END)) {
      begun = -1;
      if (!placed) out.push(...block);
      placed = true;
    } else if (begun < 0) out.push(line);
  });
  if (begun >= 0) throw new Error(`${file}: line ${begun + 1} opens an aios-fleet block that never ends ("${MARK_END}"): fix it by hand; nothing changed`);
  while (out.length && out.at(-1) === "") out.pop();
  if (!placed) out.push(...block);
  return `${out.join("\n")}\n`;
}

const psQuote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** One PowerShell line that writes the same block into Windows' hosts file, idempotently. */
export function powershellHosts(lines: string[]): string {
  const block = [BLOCK_BEGIN, ...lines, BLOCK_END].map(psQuote).join(",");
  return [
    `$f = "$env:SystemRoot\\System32\\drivers\\etc\\hosts"`,
    `$t = (Get-Content -Raw $f) -replace '(?s)\\r?\\n?# BEGIN aios-fleet.*?# END aios-fleet[^\\r\\n]*', ''`,
    `Set-Content -Path $f -Encoding ascii -Value (($t.TrimEnd(), ${block}) -join "\`r\`n")`,
  ].join("; ");
}

/** PowerShell lines opening a stack's published ports on private networks (any old aios rules of the stack removed first). */
export function powershellFirewall(stack: string, ports: PublishedPort[]): string[] {
  const prefix = `aios-fleet ${stack}`;
  return [
    `Get-NetFirewallRule -DisplayName ${psQuote(`${prefix} *`)} -ErrorAction SilentlyContinue | Remove-NetFirewallRule`,
    ...ports.map(
      (p) =>
        `New-NetFirewallRule -DisplayName ${psQuote(`${prefix} ${p.service} ${p.port}/${p.protocol}`)} -Direction Inbound -Action Allow -Profile Private -Protocol ${p.protocol.toUpperCase()} -LocalPort ${p.port}`,
    ),
  ];
}
