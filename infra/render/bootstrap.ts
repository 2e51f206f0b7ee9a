// The one command a phone runs in Termux to join the network (stack output `termuxBootstrap`).
// It downloads termux/bootstrap.sh and runs it with the cell's settings; the phone's own API
// token goes in on stdin (out of argv), its own bus user and password inside the NATS URLs (the
// app masks URL credentials in its errors), and the digests of the tokens it takes (the
// operator's, the devices') as --accept-tokens, its certificate and the fleet's public key as
// --bus-cert and --fleet-key. Only the phone's own credentials: nothing in it
// opens another member. The text holds them, so the stack exports it as a Pulumi secret.
// A bus behind a TLS-terminating proxy (the VPS hub through Traefik on 443) needs TLS first.
import { shq } from "./shell.ts";

export interface BootstrapOptions {
  cell: string;
  port: number;
  device: string;
  /** The bus URLs (nats:// or tls://, no credentials): the LAN server first, the hub second. */
  natsUrls: string[];
  /** The app opens TLS before the NATS protocol (AIOS_NATS_TLS_FIRST). */
  natsTlsFirst: boolean;
  appSource: string;
  bootstrapUrl: string;
  /** The phone's own API token. */
  apiToken: string;
  /** The phone cell's own bus user (its cell id) and password. */
  busUser: string;
  busPassword: string;
  /** sha256:<hex> digests of the other tokens the phone's cell takes. */
  acceptTokens: string[];
  /** The cell's certificate and the fleet's public key, for signed bus payloads (no secrets). */
  busCert: string;
  fleetKey: string;
}

export const BOOTSTRAP_PATH = "$HOME/aios-bootstrap.sh";

export function renderTermuxBootstrap(o: BootstrapOptions): string {
  const auth = `${encodeURIComponent(o.busUser)}:${encodeURIComponent(o.busPassword)}`;
  const urls = o.natsUrls.map((u) => u.replace("://", `://${auth}@`)).join(",");
  const run = [
    `bash "${BOOTSTRAP_PATH}"`,
    `--cell ${shq(o.cell)}`,
    `--port ${o.port}`,
    `--device ${shq(o.device)}`,
    `--nats-urls ${shq(urls)}`,
    ...(o.natsTlsFirst ? ["--nats-tls-first"] : []),
    "--token-stdin",
    ...(o.acceptTokens.length ? [`--accept-tokens ${shq(o.acceptTokens.join(","))}`] : []),
    `--bus-cert ${shq(o.busCert)}`,
    `--fleet-key ${shq(o.fleetKey)}`,
    `--app-source ${shq(o.appSource)}`,
  ].join(" ");
  return `curl -fsSL ${shq(o.bootstrapUrl)} -o "${BOOTSTRAP_PATH}" && printf '%s' ${shq(o.apiToken)} | ${run}`;
}
