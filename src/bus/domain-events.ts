/**
 * Events that modules publish when something happened, and anyone may react to (STYLE: a typed
 * map of event names to payloads). Raised after the change is committed, on the instance where it
 * happened; reactions that must reach other instances go through ClusterBus.
 */
export interface DomainEvents {
  /** A new session was opened (login by password or QR; not a token refresh). */
  'auth.session_created': {
    userId: number;
    sessionId: number;
    userAgent: string | null;
    ip: string | null;
    at: Date;
  };
  /** A session was ended by logout; `deviceToken` is the push token the device gave up, if any. */
  'auth.logged_out': { userId: number; sessionId: number; deviceToken: string | null };
  /** The password was changed (profile) or reset (mail link). */
  'auth.password_changed': { userId: number; via: 'update' | 'reset' };
  /** Some field of the user's record changed; listeners send the fresh records. */
  'user.updated': { userId: number };
  /** `userId` added `contactId` to their contacts (profile); once per pair an hour, however often re-added. */
  'contact.added': { userId: number; contactId: number };
  /** `userId` removed `contactId` from their contacts (profile). */
  'contact.removed': { userId: number; contactId: number };
  /**
   * The user came online, went offline or changed status (presence); `becameInvisible` on that
   * transition; `onlineOnly` when only the online state changed (a first stream opened, the last closed).
   */
  'presence.changed': { userId: number; becameInvisible: boolean; onlineOnly: boolean };
  /** `blockerId` blocked `blockedId` (blocking). */
  'blocking.blocked': { blockerId: number; blockedId: number };
  /** `blockerId` lifted the block on `blockedId` (blocking). */
  'blocking.unblocked': { blockerId: number; blockedId: number };
}

export type DomainEventName = keyof DomainEvents;
