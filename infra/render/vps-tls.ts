// Pure: what the VPS changes in the shared device's rendered files. Traefik gets a Let's Encrypt
// resolver and every router uses it; the NATS hub's public leaf-node listener requires TLS.
import { parse, stringify } from "yaml";

export const ACME_RESOLVER = "letsencrypt";
export const ACME_DIR = "/letsencrypt";
const STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory";

export interface AcmeOptions {
  email: string;
  staging: boolean;
}

/** Adds the Let's Encrypt resolver (HTTP-01 on the web entry point) to Traefik's static config. */
export function withAcmeResolver(staticYaml: string, acme: AcmeOptions): string {
  const doc = parse(staticYaml) as Record<string, unknown>;
  doc.certificatesResolvers = {
    [ACME_RESOLVER]: {
      acme: {
        email: acme.email,
        storage: `${ACME_DIR}/acme.json`,
        ...(acme.staging ? { caServer: STAGING } : {}),
        httpChallenge: { entryPoint: "web" },
      },
    },
  };
  return stringify(doc);
}

/** Every HTTPS router of Traefik's dynamic config gets its certificate from Let's Encrypt. */
export function withCertResolver(dynamicYaml: string): string {
  const doc = parse(dynamicYaml) as { http?: { routers?: Record<string, { tls?: unknown }> } };
  for (const router of Object.values(doc.http?.routers ?? {})) {
    if (router.tls !== undefined) router.tls = { certResolver: ACME_RESOLVER };
  }
  return stringify(doc);
}

export interface LeafTlsFiles {
  certFile: string;
  keyFile: string;
}

/** Requires TLS on the hub's leaf-node listener (in the NATS secrets file's leafnodes block). */
export function withLeafTls(natsSecrets: string, files: LeafTlsFiles): string {
  const open = natsSecrets.indexOf("leafnodes {\n");
  if (open < 0 || !natsSecrets.includes("  listen:")) throw new Error("bus: the NATS config has no leaf-node listener (is bus.mode hub?)");
  const at = open + "leafnodes {\n".length;
  const block = [
    "  tls {",
    `    cert_file: ${JSON.stringify(files.certFile)}`,
    `    key_file: ${JSON.stringify(files.keyFile)}`,
    "    timeout: 5",
    "  }",
    "",
  ].join("\n");
  return natsSecrets.slice(0, at) + block + natsSecrets.slice(at);
}
