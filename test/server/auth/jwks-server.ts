/**
 * A real loopback HTTP server publishing a JSON Web Key Set, for tests of RS256/ES256 auth: it
 * generates signing keys with jose, serves their public halves at `/jwks.json`, counts fetches,
 * can rotate to a new key and can be told to fail (to test a key server outage).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function createSigningKey(kid: string, alg: 'RS256' | 'ES256' = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/** Signs `claims` with `key`; `exp` defaults to one hour ahead (pass `exp: undefined` to omit). */
export function signWith(
  key: SigningKey,
  claims: JWTPayload,
  header: { kid?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, exp: now + 3600, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: header.kid ?? key.kid, typ: 'JWT' })
    .sign(key.privateKey);
}

export class JwksServer {
  fetches = 0;
  /** When set, every request is answered with this status and no key set. */
  failWith?: number;
  private keys: SigningKey[];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    keys: SigningKey[],
  ) {
    this.keys = keys;
  }

  static async start(keys: SigningKey[]): Promise<JwksServer> {
    let instance: JwksServer | undefined;
    const server = createServer((request, response) => {
      const self = instance!;
      self.fetches += 1;
      if (request.url !== '/jwks.json') {
        response.writeHead(404).end();
      } else if (self.failWith) {
        response.writeHead(self.failWith, { 'content-type': 'text/plain' }).end('unavailable');
      } else {
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ keys: self.keys.map((key) => key.publicJwk) }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    instance = new JwksServer(server, `http://127.0.0.1:${port}/jwks.json`, keys);
    return instance;
  }

  /** Publishes a new key set (a key rotation at the identity provider). */
  publish(keys: SigningKey[]): void {
    this.keys = keys;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }
}
