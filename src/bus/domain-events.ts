/**
 * Events that modules publish when something happened, and anyone may react to (a typed map of
 * event names to payloads). A change made in a transaction is published in it (`EventBus.publish`):
 * recorders write in that transaction (webhook deliveries), listeners hear it once it committed,
 * on the instance where it happened; reactions that must reach other instances go through ClusterBus.
 */
export interface DomainEvents {
  /** An account was made (registration). */
  'user.created': { userId: number };
  /** An operator disabled the account (admin): it can no longer log in, its sessions ended. */
  'user.disabled': { userId: number };
  /** An operator enabled a disabled account again (admin). */
  'user.enabled': { userId: number };
  /** Sessions ended for any reason (logout, their owner, a password change, deletion, an operator). */
  'sessions.ended': { userId: number; sessionIds: number[] };
  /** A new session was opened (login by password or QR; not a token refresh). */
  'auth.session_created': {
    userId: number;
    sessionId: number;
    userAgent: string | null;
    ip: string | null;
    at: Date;
  };
  /** A login succeeded: a new session (password, QR) or an access token for one (auth token). */
  'auth.logged_in': {
    userId: number;
    sessionId: number;
    /** `totp` and `recovery_code`: a password, then that second factor; `passkey`: a passkey alone. */
    method: 'password' | 'auth_token' | 'qr' | 'totp' | 'recovery_code' | 'passkey' | 'oidc';
    userAgent: string | null;
    ip: string | null;
  };
  /** A login or password check was refused; `userId` when the email named a user. */
  'auth.login_failed': {
    userId: number | null;
    method: 'password' | 'auth_token' | 'current_password' | 'second_factor' | 'passkey' | 'oidc';
    userAgent: string | null;
    ip: string | null;
  };
  /** A session was ended by logout; `deviceToken` is the push token the device gave up, if any. */
  'auth.logged_out': { userId: number; sessionId: number; deviceToken: string | null };
  /** Sessions were ended by their owner (one, or all but the calling one), or all by an operator. */
  'auth.sessions_ended': { userId: number; sessionIds: number[] };
  /** The user asked to move their account to a new address (it changes once that is confirmed). */
  'auth.email_change_requested': { userId: number; email: string };
  /**
   * A confirmation link was used: the first address (`changed` false) or a new one now in force;
   * or an operator marked the address confirmed (`changed` false).
   */
  'auth.email_confirmed': { userId: number; email: string; changed: boolean };
  /** The password was changed (profile) or reset (mail link). */
  'auth.password_changed': { userId: number; via: 'update' | 'reset' };
  /**
   * A way into the account beyond the password changed: TOTP turned on or off, a recovery code
   * used, codes renewed (mfa); a passkey added or removed (passkeys). Told by mfa's MfaNotices.
   */
  'mfa.changed': SecondFactorNotice & { userId: number; userAgent: string | null; ip: string | null };
  /** A device token was registered; `movedFrom` the user who held it until now. */
  'devices.registered': { userId: number; device: string; movedFrom: number | null };
  /** The account is gone (account); `friendIds` were its friends when it went. */
  'account.deleted': { userId: number; friendIds: number[] };
  /**
   * Some field of the user's record changed; listeners send the fresh records. `user`, when the
   * publisher has it, is the public fields as the change leaves them (a webhook's payload needs no read).
   */
  'user.updated': { userId: number; user?: UpdatedUser };
  /**
   * `userId` added `contactId` to their contacts; `notify` on the first add of the pair this hour
   * (the stream event and push go out only then, however often the contact is removed and re-added).
   */
  'contact.added': { userId: number; contactId: number; notify: boolean };
  /** `userId` removed `contactId` from their contacts. */
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

/** A user's public fields as a change left them (what a webhook tells of the user; any `User` is one). */
export interface UpdatedUser {
  id: number;
  nick: string | null;
  avatarKey: string | null;
  avatarSmallKey: string | null;
  confirmedAt: Date | null;
  createdAt: Date;
}

export type TotpChange = 'totp_enabled' | 'totp_disabled' | 'recovery_code_used' | 'recovery_codes_renewed';
export type PasskeyChange = 'passkey_added' | 'passkey_removed';
export type SecondFactorChange = TotpChange | PasskeyChange;

/**
 * A change to the user's second factors and what its notices tell: the recovery codes still
 * unused after a two-step login change, the passkey added or removed.
 */
export type SecondFactorNotice =
  | { change: TotpChange; recoveryCodesLeft: number }
  | { change: PasskeyChange; passkey: { id: number; name: string } };
