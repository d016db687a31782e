import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A software WebAuthn authenticator, as the DevTools virtual authenticator is one: an ES256 key
 * pair per credential, `none` attestation, flags UP|UV, a signature counter, and client data with
 * the challenge and the page's origin. It answers the JSON that browsers give the page.
 */
export class SoftwareAuthenticator {
  private readonly credentials = new Map<
    string,
    { privateKey: KeyObject; publicKey: KeyObject; userHandle: string; counter: number }
  >();

  constructor(readonly origin: string) {}

  /** `navigator.credentials.create()` for these options: a discoverable credential. */
  create(
    options: { challenge: string; rp: { id?: string }; user: { id: string } },
    rpId = options.rp.id ?? '',
  ) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const credentialId = randomBytes(32);
    const id = credentialId.toString('base64url');
    this.credentials.set(id, { privateKey, publicKey, userHandle: options.user.id, counter: 0 });
    const jwk = publicKey.export({ format: 'jwk' });
    const coseKey = cborMap([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x as string, 'base64url')],
      [-3, Buffer.from(jwk.y as string, 'base64url')],
    ]);
    const credentialIdLength = Buffer.alloc(2);
    credentialIdLength.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([0x01 | 0x04 | 0x40]), // UP | UV | AT (attested credential data)
      counterBytes(0),
      Buffer.alloc(16), // AAGUID: none
      credentialIdLength,
      credentialId,
      coseKey.bytes,
    ]);
    const attestationObject = cborMap([
      ['fmt', 'none'],
      ['attStmt', cborMap([])],
      ['authData', authData],
    ]);
    return {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: this.clientData('webauthn.create', options.challenge),
        attestationObject: attestationObject.bytes.toString('base64url'),
        transports: ['internal'],
      },
    };
  }

  /**
   * `navigator.credentials.get()` for these options with the credential `id`; `counter` sets the
   * signature counter sent (by default one more than the last).
   */
  get(options: { challenge: string; rpId?: string }, id: string, counter?: number) {
    const credential = this.credentials.get(id);
    if (!credential) throw new Error(`no credential ${id}`);
    credential.counter = counter ?? credential.counter + 1;
    const authData = Buffer.concat([
      sha256(options.rpId ?? ''),
      Buffer.from([0x01 | 0x04]), // UP | UV
      counterBytes(credential.counter),
    ]);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge);
    const signature = sign(
      'sha256',
      Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]),
      credential.privateKey,
    );
    return {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON,
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: credential.userHandle,
      },
    };
  }

  private clientData(type: string, challenge: string): string {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false })).toString(
      'base64url',
    );
  }
}

function sha256(data: string | Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

function counterBytes(counter: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(counter);
  return bytes;
}

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys. */
class Encoded {
  constructor(readonly bytes: Buffer) {}
}
type CborValue = number | string | Buffer | Encoded;

function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  const bytes = Buffer.alloc(3);
  bytes[0] = (major << 5) | 25;
  bytes.writeUInt16BE(length, 1);
  return bytes;
}

function cbor(value: CborValue): Buffer {
  if (value instanceof Encoded) return value.bytes;
  if (Buffer.isBuffer(value)) return Buffer.concat([cborHead(2, value.length), value]);
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(3, text.length), text]);
  }
  return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
}

function cborMap(entries: [CborValue, CborValue][]): Encoded {
  return new Encoded(
    Buffer.concat([
      cborHead(5, entries.length),
      ...entries.flatMap(([key, value]) => [cbor(key), cbor(value)]),
    ]),
  );
}
