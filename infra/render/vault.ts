// Vault server config (JSON, which Vault reads like HCL): file storage on a volume, server mode.
// TLS ends at Traefik; the listener is only on the stack's internal networks.
export const VAULT_PORT = 8200;
export const VAULT_DATA = "/vault/file";
export const VAULT_KV_MOUNT = "aios";

export function renderVaultConfig(opts: { apiAddr: string }): string {
  const config = {
    ui: true,
    disable_mlock: true,
    api_addr: opts.apiAddr,
    storage: { file: { path: VAULT_DATA } },
    listener: [{ tcp: { address: `0.0.0.0:${VAULT_PORT}`, tls_disable: true } }],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
