// A throwaway CA and a server certificate signed by it, made with the openssl CLI, for tests that
// run real TLS on 127.0.0.1 (the hub's leaf port, a TLS-terminating proxy in front of NATS).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";

export interface TestCerts {
  caFile: string;
  certFile: string;
  keyFile: string;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** Writes ca.pem, cert.pem and key.pem into `dir`; the certificate names `dnsNames` and 127.0.0.1. */
export function makeTestCerts(dir: string, dnsNames: string[]): TestCerts {
  const f = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  openssl(["req", "-x509", ...EC_KEY, "-days", "1", "-subj", "/CN=AIOS test CA", "-keyout", f("ca-key.pem"), "-out", f("ca.pem"),
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  openssl(["req", ...EC_KEY, "-subj", `/CN=${dnsNames[0]}`, "-keyout", f("key.pem"), "-out", f("server.csr")]);
  const san = [...dnsNames.map((n) => `DNS:${n}`), "IP:127.0.0.1"].join(",");
  writeFileSync(f("server.ext"), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  openssl(["x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca-key.pem"), "-CAcreateserial", "-days", "1",
    "-extfile", f("server.ext"), "-out", f("cert.pem")]);
  return { caFile: f("ca.pem"), certFile: f("cert.pem"), keyFile: f("key.pem") };
}

/** Traefik's part: terminate TLS with the test certificate, forward the bytes to a local port. */
export async function tlsProxy(certs: TestCerts, to: number): Promise<{ server: TlsServer; port: number; sessions: () => number }> {
  let sessions = 0;
  const server = createTlsServer({ cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) }, (client) => {
    sessions++;
    const upstream = netConnect(to, "127.0.0.1");
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  server.on("tlsClientError", () => undefined); // a client that does not trust the certificate hangs up
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as { port: number }).port, sessions: () => sessions };
}
