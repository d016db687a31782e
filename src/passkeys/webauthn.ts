import { type AppConfig } from '../config/app-config.js';

/** The user handle a passkey of `userId` carries: the id's digits, no personal data. */
export function userHandle(userId: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(String(userId), 'utf8'));
}

export function userHandleText(userId: number): string {
  return Buffer.from(String(userId), 'utf8').toString('base64url');
}

/** What every verification checks the answer against: our RP ID and the allowed page origins. */
export function expected(config: AppConfig): { expectedRPID: string; expectedOrigin: string[] } {
  return { expectedRPID: config.webauthn.rpId, expectedOrigin: config.webauthn.origins };
}

/** The challenge an authenticator signed, read from its clientDataJSON (base64url); null if unreadable. */
export function challengeOf(clientDataJSON: unknown): string | null {
  if (typeof clientDataJSON !== 'string') return null;
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as {
      challenge?: unknown;
    };
    return typeof data.challenge === 'string' ? data.challenge : null;
  } catch {
    return null;
  }
}
