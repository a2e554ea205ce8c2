import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'

export interface TlsMaterial {
  key: string
  cert: string
  /** SHA-256 of the certificate, hex pairs with colons, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint: string
  selfSigned: boolean
}

/**
 * The certificate to serve: the given PEM files, or a self-signed one made now for the cluster
 * name, `localhost` and the loopback addresses (clients pass `-k`, as with a real cluster's
 * default certificate). Throws with a one-line message when a file cannot be used.
 */
export async function loadTls (options: { certFile?: string | undefined, keyFile?: string | undefined, commonName: string }): Promise<TlsMaterial> {
  if (options.certFile !== undefined && options.keyFile !== undefined) {
    const read = (path: string, what: string): string => {
      try {
        return readFileSync(path, 'utf8')
      } catch (err) {
        throw new Error(`Failed to read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}.`)
      }
    }
    const cert = read(options.certFile, '--tls-cert')
    const key = read(options.keyFile, '--tls-key')
    let x509
    try {
      x509 = new X509Certificate(cert)
    } catch {
      throw new Error(`Failed to read --tls-cert ${options.certFile}: it is not a PEM certificate.`)
    }
    let privateKey
    try {
      privateKey = createPrivateKey(key)
    } catch {
      throw new Error(`Failed to read --tls-key ${options.keyFile}: it is not a PEM private key.`)
    }
    if (!x509.checkPrivateKey(privateKey)) throw new Error(`Failed to use --tls-key ${options.keyFile}: it is not the key of --tls-cert ${options.certFile}.`)
    return { key, cert, fingerprint: x509.fingerprint256, selfSigned: false }
  }
  const notBeforeDate = new Date(Date.now() - 60_000)
  const notAfterDate = new Date(notBeforeDate.getTime() + 365 * 24 * 3600 * 1000)
  // loaded only when a certificate is made: importing it costs ~300 ms of every start
  const { generate } = await import('selfsigned')
  const pems = await generate([{ name: 'commonName', value: options.commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [{
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: options.commonName },
        { type: 2, value: 'localhost' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' }
      ]
    }]
  })
  return { key: pems.private, cert: pems.cert, fingerprint: new X509Certificate(pems.cert).fingerprint256, selfSigned: true }
}
