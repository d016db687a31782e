import { isDisabled } from './account-state.js';
import { lastSeenHint, type LastSeenHint } from './last-seen-privacy.js';
import { type LastSeenVisibility, User, type UserStatus } from './user.entity.js';

export interface AvatarRecord {
  full: string;
  small: string;
}

/** What only the user sees. */
export interface OwnRecord {
  id: number;
  nick: string | null;
  email: string;
  pending_email: string | null;
  searchable_nick: boolean;
  confirmed_at: string | null;
  auth_token: string | null;
  avatar: AvatarRecord | null;
  status: UserStatus | null;
  status_message: string | null;
  mobile_number: string | null;
  is_online: boolean;
  last_seen_at: string | null;
  last_seen_visibility: LastSeenVisibility;
  created_at: string;
}

/** A user as an operator sees them (admin API, CLI): the own record without its secret, and the account's state. */
export interface OperatorRecord extends Omit<OwnRecord, 'auth_token'> {
  disabled: boolean;
  disabled_at: string | null;
  last_login_at: string | null;
}

/** What anybody may see, after blocking and invisibility are applied. */
export interface PublicRecord {
  id: number;
  nick: string | null;
  avatar: AvatarRecord | null;
  status: Exclude<UserStatus, 'invisible'> | null;
  status_message: string | null;
  is_online: boolean;
  last_seen_at: string | null;
  /** Instead of the exact last seen, for a viewer the user's last-seen privacy keeps it from. */
  last_seen_hint: LastSeenHint | null;
}

export interface OwnRecordContext {
  publicUrl: string;
  isOnline: boolean;
  /** The calling session's auth token: known only in the response that created the session. */
  authToken: string | null;
}

export interface PublicRecordContext {
  publicUrl: string;
  isOnline: boolean;
  /** Nobody signed in asks: presence (status, message, online, last seen) is not told. */
  anonymousViewer: boolean;
  /** The owner blocked the viewer: presence, avatar and status are hidden (polite blocking). */
  viewerBlockedByOwner: boolean;
  /** Last-seen privacy keeps the exact last seen and online state from the viewer: a hint instead. */
  lastSeenWithheld: boolean;
  nowMs: number;
}

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

export function avatarRecord(
  user: Pick<User, 'avatarKey' | 'avatarSmallKey'>,
  publicUrl: string,
): AvatarRecord | null {
  if (!user.avatarKey) return null;
  const url = (key: string) => `${publicUrl}/api/v1/avatars/${key}`;
  return { full: url(user.avatarKey), small: url(user.avatarSmallKey ?? user.avatarKey) };
}

export function toOwnRecord(user: User, context: OwnRecordContext): OwnRecord {
  return {
    id: user.id,
    nick: user.nick,
    email: user.email,
    pending_email: user.pendingEmail,
    searchable_nick: user.searchableNick,
    confirmed_at: iso(user.confirmedAt),
    auth_token: context.authToken,
    avatar: avatarRecord(user, context.publicUrl),
    status: user.status,
    status_message: user.statusMessage,
    mobile_number: user.mobileNumber,
    is_online: context.isOnline,
    last_seen_at: iso(user.lastSeenAt),
    last_seen_visibility: user.lastSeenVisibility,
    created_at: user.createdAt.toISOString(),
  };
}

export function toOperatorRecord(user: User, context: Omit<OwnRecordContext, 'authToken'>): OperatorRecord {
  const { auth_token: _secret, ...own } = toOwnRecord(user, { ...context, authToken: null });
  return {
    ...own,
    disabled: isDisabled(user),
    disabled_at: iso(user.disabledAt),
    last_login_at: iso(user.lastLoginAt),
  };
}

/**
 * What a viewer sees of a user besides the user's own fields: all that a public record varies by
 * (with the service's address). The owner blocked the viewer; nobody signed in asks; the exact
 * last seen, online or not; or, where last-seen privacy withholds it, a hint instead.
 */
export type PublicView = 'blocked' | 'anonymous' | 'online' | 'offline' | `withheld:${LastSeenHint}`;

const WITHHELD = 'withheld:';

export function publicView(
  user: Pick<User, 'status' | 'lastSeenAt'>,
  context: PublicRecordContext,
): PublicView {
  if (context.viewerBlockedByOwner) return 'blocked';
  // Presence is told only to someone the user could have blocked, that is, someone signed in.
  if (context.anonymousViewer) return 'anonymous';
  const online = user.status === 'invisible' ? false : context.isOnline;
  if (context.lastSeenWithheld) return `${WITHHELD}${lastSeenHint(user.lastSeenAt, online, context.nowMs)}`;
  return online ? 'online' : 'offline';
}

export function toPublicRecord(user: Readonly<User>, context: PublicRecordContext): PublicRecord {
  return publicRecordIn(user, publicView(user, context), context.publicUrl);
}

/** The user's public record in a view (`publicView`). */
export function publicRecordIn(user: Readonly<User>, view: PublicView, publicUrl: string): PublicRecord {
  if (view === 'blocked') {
    return {
      id: user.id,
      nick: user.nick,
      avatar: null,
      status: null,
      status_message: null,
      is_online: false,
      last_seen_at: null,
      last_seen_hint: null,
    };
  }
  if (view === 'anonymous') {
    return {
      id: user.id,
      nick: user.nick,
      avatar: avatarRecord(user, publicUrl),
      status: null,
      status_message: null,
      is_online: false,
      last_seen_at: null,
      last_seen_hint: null,
    };
  }
  if (view.startsWith(WITHHELD)) {
    return {
      id: user.id,
      nick: user.nick,
      avatar: avatarRecord(user, publicUrl),
      status: user.status === 'invisible' ? null : user.status,
      status_message: user.statusMessage,
      is_online: false,
      last_seen_at: null,
      last_seen_hint: view.slice(WITHHELD.length) as LastSeenHint,
    };
  }
  return {
    id: user.id,
    nick: user.nick,
    avatar: avatarRecord(user, publicUrl),
    status: user.status === 'invisible' ? null : user.status,
    status_message: user.statusMessage,
    is_online: view === 'online',
    // Frozen at the moment the user went invisible: the presence module stops updating it.
    last_seen_at: iso(user.lastSeenAt),
    last_seen_hint: null,
  };
}
