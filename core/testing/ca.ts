/**
 * A throwaway certificate authority for tests: fake clouds serve real hostnames
 * (`sts.amazonaws.com`, `login.microsoftonline.com`...) over TLS with leaf certificates from it, and
 * the provider under test trusts it through NODE_EXTRA_CA_CERTS, exactly as a node behind a
 * TLS-inspecting proxy would. ECDSA P-256 keeps key generation in milliseconds.
 */
import { webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

export interface LeafCertificate {
  certPem: string;
  keyPem: string;
}

export interface TestCA {
  certPem: string;
  /** A file holding the CA certificate: point NODE_EXTRA_CA_CERTS or SSL_CERT_FILE at it. */
  caFile: string;
  /** The folder holding `ca.crt` (for tools that take a certificate directory, like skopeo --cert-dir). */
  certDir: string;
  /** A server certificate for these DNS names (and IPs), signed by this CA. */
  issue(hosts: string[]): Promise<LeafCertificate>;
}

export async function createTestCA(name = 'credkit test CA'): Promise<TestCA> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 30 * DAY),
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const certPem = caCert.toString('pem');
  const certDir = mkdtempSync(join(tmpdir(), 'credkit-ca-'));
  const caFile = join(certDir, 'ca.crt');
  writeFileSync(caFile, `${certPem}\n`);

  const issue = async (hosts: string[]): Promise<LeafCertificate> => {
    const leafKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${hosts[0] ?? 'localhost'}`,
      issuer: caCert.subject,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 7 * DAY),
      signingKey: (keys as webcrypto.CryptoKeyPair).privateKey,
      publicKey: (leafKeys as webcrypto.CryptoKeyPair).publicKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(
          hosts.map((host) => (/^[\d.]+$|:/.test(host) ? { type: 'ip', value: host } : { type: 'dns', value: host })),
        ),
      ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', (leafKeys as webcrypto.CryptoKeyPair).privateKey);
    return { certPem: cert.toString('pem'), keyPem: toPem(pkcs8, 'PRIVATE KEY') };
  };
  return { certPem, caFile, certDir, issue };
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

function toPem(der: ArrayBuffer, label: string): string {
  const base64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${base64.trim()}\n-----END ${label}-----\n`;
}
