// The script the stack runs once Vault's container is up (a @pulumi/command local Command on
// the control machine, talking to the device's Docker daemon). It initialises Vault with one
// unseal key, unseals it, stores the fleet tokens in the KV mount and issues an AppRole per app
// container. On later runs (PULUMI_COMMAND_STDOUT holds the previous output) it only unseals
// and re-issues. Its stdout is JSON and the stack keeps it as a secret.
// Environment: MEMBER_API_<i>, the i-th member's own API token, and MEMBER_BUS_<i>_<j>, its j-th
// bus password (one per role it runs: the organelle host has several) (memberSecretEnv);
// DOCKER_HOST when the daemon is remote. No fleet root secret.
import { VAULT_KV_MOUNT, VAULT_PORT } from "./vault.ts";
import { shq } from "./shell.ts";

export interface VaultInitOptions {
  container: string;
  /** App containers that get an AppRole (cells, discovery, organelles), with the KV fields of their bus passwords. */
  members: { name: string; busFields: string[] }[];
}

export function renderVaultInit(o: VaultInitOptions): string {
  const m = VAULT_KV_MOUNT;
  return `#!/bin/sh
set -eu
C=${shq(o.container)}
v() { docker exec -i -e VAULT_ADDR=http://127.0.0.1:${VAULT_PORT} -e VAULT_TOKEN "$C" vault "$@"; }
field() { printf '%s' "\${PULUMI_COMMAND_STDOUT:-}" | sed -n "s/.*\\"$1\\":\\"\\([^\\"]*\\)\\".*/\\1/p"; }

# Wait for the server to answer (status exits 1 while unreachable, 2 while sealed).
i=0 api="" bus=""
while :; do
  rc=0; v status >/dev/null 2>&1 || rc=$?
  [ "$rc" -ne 1 ] && break
  i=$((i + 1)); [ "$i" -ge 60 ] && { echo "vault in $C did not answer within 60 s" >&2; exit 1; }
  sleep 1
done

if v operator init -status >/dev/null 2>&1; then
  UNSEAL_KEY=$(field unsealKey)
  ROOT_TOKEN=$(field rootToken)
  [ -n "$UNSEAL_KEY" ] || { echo "vault in $C is initialised, but this stack holds no unseal key for it" >&2; exit 1; }
else
  out=$(v operator init -key-shares=1 -key-threshold=1)
  UNSEAL_KEY=$(printf '%s\\n' "$out" | sed -n 's/^Unseal Key 1: //p')
  ROOT_TOKEN=$(printf '%s\\n' "$out" | sed -n 's/^Initial Root Token: //p')
fi
rc=0; v status >/dev/null 2>&1 || rc=$?
if [ "$rc" -eq 2 ]; then printf '%s' "$UNSEAL_KEY" | v operator unseal - >/dev/null; fi
VAULT_TOKEN=$ROOT_TOKEN
export VAULT_TOKEN

v secrets list | grep -q '^${m}/' || v secrets enable -path=${m} kv-v2 >/dev/null
v auth list | grep -q '^approle/' || v auth enable approle >/dev/null

printf '{"unsealKey":"%s","rootToken":"%s","approles":{' "$UNSEAL_KEY" "$ROOT_TOKEN"
sep=''
i=0 api="" bus=""
for name in ${o.members.map((x) => shq(x.name)).join(" ")}; do
  eval "api=\\\${MEMBER_API_$i}"
  printf '%s' "$api" | v kv put -mount=${m} "members/$name" token=- >/dev/null
  i=$((i + 1))
  printf 'path "${m}/data/members/%s" { capabilities = ["read"] }\\n' "$name" |
    v policy write "member-$name" - >/dev/null
  v write "auth/approle/role/member-$name" token_policies="member-$name" token_ttl=10m token_max_ttl=30m >/dev/null
  role_id=$(v read -field=role_id "auth/approle/role/member-$name/role-id")
  secret_id=$(v write -f -field=secret_id "auth/approle/role/member-$name/secret-id")
  printf '%s"%s":{"roleId":"%s","secretId":"%s"}' "$sep" "$name" "$role_id" "$secret_id"
  sep=','
done
# each member's bus passwords, <name>:<env suffix>:<field>
for entry in ${o.members.flatMap((x, i) => x.busFields.map((f, j) => shq(`${x.name}:${i}_${j}:${f}`))).join(" ")}; do
  name=\${entry%%:*} rest=\${entry#*:}
  eval "bus=\\\${MEMBER_BUS_\${rest%%:*}}"
  printf '%s' "$bus" | v kv patch -mount=${m} "members/$name" "\${rest#*:}=-" >/dev/null
done
printf '}}\\n'
`;
}

/** The script's environment for the members' own secrets, in the order of `members` (bus: in the order of its busFields). */
export function memberSecretEnv<T>(secrets: { api: T; bus: T[] }[]): Record<string, T> {
  return Object.fromEntries(
    secrets.flatMap((s, i) => [[`MEMBER_API_${i}`, s.api] as const, ...s.bus.map((b, j) => [`MEMBER_BUS_${i}_${j}`, b] as const)]),
  );
}

export interface VaultInitResult {
  unsealKey: string;
  rootToken: string;
  approles: Record<string, { roleId: string; secretId: string }>;
}

/** Parses the script's stdout; names the missing part without echoing any value. */
export function parseVaultInit(stdout: string, members: string[]): VaultInitResult {
  let parsed: VaultInitResult;
  try {
    parsed = JSON.parse(stdout) as VaultInitResult;
  } catch {
    throw new Error("vault init: the script's output is not JSON");
  }
  if (!parsed.unsealKey || !parsed.rootToken) throw new Error("vault init: no unseal key or root token in the output");
  for (const m of members) {
    if (!parsed.approles?.[m]?.roleId || !parsed.approles[m].secretId) throw new Error(`vault init: no AppRole for ${m}`);
  }
  return parsed;
}
