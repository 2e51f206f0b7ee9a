// A local CA for the LAN domain and a wildcard server certificate signed by it. The CA
// certificate is a stack output (install it once on each client); keys stay secrets in state.
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export class LocalCa extends pulumi.ComponentResource {
  readonly caCertPem: pulumi.Output<string>;
  readonly certPem: pulumi.Output<string>;
  readonly keyPem: pulumi.Output<string>;

  constructor(name: string, args: { domain: string }, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:LocalCa", name, {}, opts);
    const o = { parent: this };
    const caKey = new tls.PrivateKey("ca-key", { algorithm: "ECDSA", ecdsaCurve: "P256" }, o);
    const ca = new tls.SelfSignedCert(
      "ca",
      {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        validityPeriodHours: 24 * 365 * 5,
        allowedUses: ["cert_signing", "crl_signing"],
        subject: { commonName: `AIOS ${args.domain} CA`, organization: "AIOS fleet" },
      },
      o,
    );
    const key = new tls.PrivateKey("server-key", { algorithm: "ECDSA", ecdsaCurve: "P256" }, o);
    const csr = new tls.CertRequest(
      "server-csr",
      { privateKeyPem: key.privateKeyPem, dnsNames: [args.domain, `*.${args.domain}`], subject: { commonName: `*.${args.domain}` } },
      o,
    );
    const cert = new tls.LocallySignedCert(
      "server-cert",
      {
        certRequestPem: csr.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        validityPeriodHours: 24 * 365,
        earlyRenewalHours: 24 * 30,
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
      },
      o,
    );
    this.caCertPem = ca.certPem;
    this.certPem = cert.certPem;
    this.keyPem = pulumi.secret(key.privateKeyPem);
    this.registerOutputs({ caCertPem: this.caCertPem });
  }
}
