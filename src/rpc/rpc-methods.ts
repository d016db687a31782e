import type { AccountService } from '../account/account.service.js';
import { DeleteMeDto } from '../account/dto/account.dto.js';
import type { CredentialLoginService } from '../auth/credential-login.service.js';
import type { EmailConfirmationService } from '../auth/email-confirmation.service.js';
import type { LoginService } from '../auth/login.service.js';
import type { PasswordResetService } from '../auth/password-reset.service.js';
import type { RegistrationService } from '../auth/registration.service.js';
import { credentialsFrom } from '../auth/credentials.js';
import type { ClientInfo } from '../common/client-info.decorator.js';
import type { BlockingService } from '../blocking/blocking.service.js';
import type { AuthUser } from '../common/auth.decorators.js';
import type { DevicesService } from '../devices/devices.service.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { ProfileService } from '../profile/profile.service.js';
import type { UserDirectoryService } from '../users/user-directory.service.js';
import type { SseCodesService } from '../sse/sse-codes.service.js';
import { UserIdDto } from '../common/user-id.dto.js';
import { CredentialsDto, EmailDto, LogoutDto, RegisterDto, ResetPasswordDto } from '../auth/dto/auth.dto.js';
import { RegisterDeviceDto } from '../devices/dto/register-device.dto.js';
import { MfaLoginDto } from '../mfa/dto/mfa.dto.js';
import type { MfaLoginService } from '../mfa/mfa-login.service.js';
import { SetStatusDto, statusOf } from '../presence/dto/status.dto.js';
import { UpdateMeDto } from '../profile/dto/update-me.dto.js';
import { UserIdsDto } from '../users/dto/users-query.dto.js';

/** Methods that take no arguments: any field is `invalid_params`, as everywhere else. */
export class NoArgumentsDto {}

/** Who may call a method: anybody, any logged-in user, or a user with a confirmed email. */
export type RpcAccess = 'public' | 'user' | 'confirmed';

/** The services the methods call: the same the REST routes call. */
export interface RpcServices {
  registration: RegistrationService;
  confirmation: EmailConfirmationService;
  passwordReset: PasswordResetService;
  credentialLogin: CredentialLoginService;
  logins: LoginService;
  mfaLogin: MfaLoginService;
  profile: ProfileService;
  directory: UserDirectoryService;
  presence: PresenceService;
  blocking: BlockingService;
  devices: DevicesService;
  sseCodes: SseCodesService;
  account: AccountService;
}

export interface RpcMethodSpec {
  /** The REST route the method stands for (documentation and the OpenAPI description). */
  rest: string;
  access: RpcAccess;
  dto: new () => object;
  /** The seed's result shape. */
  result: string;
  /** A public method whose answer depends on who calls: a bad token is refused, as on its route. */
  readsCaller?: true;
  /**
   * Does what the route does, with the arguments validated by `dto`; `user` is null for an
   * anonymous caller of a public method.
   */
  handle(services: RpcServices, args: never, user: AuthUser, client: ClientInfo): Promise<unknown>;
}

const ok = {};

/**
 * The seed's methods (and MirrorFly-named aliases) mapped onto the REST routes: one table that
 * the endpoint, its OpenAPI description and the README are kept true to.
 */
export const RPC_METHODS = {
  register: {
    rest: 'POST /auth/register',
    access: 'public',
    dto: RegisterDto,
    result: '{user} (+ access_token… with auto_login)',
    handle: (s, a: RegisterDto, _u, client) => s.registration.register(a, client),
  },
  resend_confirmation: {
    rest: 'POST /auth/resend-confirmation',
    access: 'public',
    dto: EmailDto,
    result: '{}',
    handle: async (s, a: EmailDto) => (await s.confirmation.resendConfirmation(a.email), ok),
  },
  request_password_reset: {
    rest: 'POST /auth/password-reset/request',
    access: 'public',
    dto: EmailDto,
    result: '{}',
    handle: async (s, a: EmailDto) => (await s.passwordReset.requestPasswordReset(a.email), ok),
  },
  reset_password: {
    rest: 'POST /auth/password-reset',
    access: 'public',
    dto: ResetPasswordDto,
    result: '{}',
    handle: async (s, a: ResetPasswordDto) => (await s.passwordReset.resetPassword(a.token, a.password), ok),
  },
  login: {
    rest: 'POST /auth/login',
    access: 'public',
    dto: CredentialsDto,
    result: '{user, access_token, token_type, expires_in}',
    handle: (s, a: CredentialsDto, _u, client) => s.credentialLogin.login(credentialsFrom(a), client),
  },
  login_mfa: {
    rest: 'POST /auth/login/mfa',
    access: 'public',
    dto: MfaLoginDto,
    result: '{user, access_token, token_type, expires_in}',
    handle: (s, a: MfaLoginDto, _u, client) => s.mfaLogin.complete(a.mfa_token, a.code, client),
  },
  logout: {
    rest: 'POST /auth/logout',
    access: 'user',
    dto: LogoutDto,
    result: '{}',
    handle: async (s, a: LogoutDto, u) => (
      await s.logins.logout(u.userId, u.sessionId, a.device_token ?? null),
      ok
    ),
  },
  update_me: {
    rest: 'PATCH /me',
    access: 'user',
    dto: UpdateMeDto,
    result: '{user}',
    handle: async (s, a: UpdateMeDto, u, client) => ({
      user: await s.profile.update(u.userId, u.sessionId, a, client),
    }),
  },
  me: {
    rest: 'GET /me',
    access: 'user',
    dto: NoArgumentsDto,
    result: '{user}',
    handle: async (s, _a, u) => ({ user: await s.profile.me(u.userId, u.sessionId) }),
  },
  delete_me: {
    rest: 'DELETE /me',
    access: 'user',
    dto: DeleteMeDto,
    result: '{}',
    handle: async (s, a: DeleteMeDto, u, client) => (
      await s.account.delete(u.userId, u.sessionId, a.current_password, client),
      ok
    ),
  },
  get_user: {
    rest: 'GET /users/:id',
    access: 'public',
    readsCaller: true,
    dto: UserIdDto,
    result: '{user}',
    handle: async (s, a: UserIdDto, u) => ({
      user: await s.directory.publicUser(a.user_id, u?.userId ?? null),
    }),
  },
  set_status: {
    rest: 'PUT /me/status',
    access: 'user',
    dto: SetStatusDto,
    result: '{user}',
    handle: async (s, a: SetStatusDto, u) => ({ user: await s.presence.setStatus(u.userId, statusOf(a)) }),
  },
  api_create_sse_auth_code: {
    rest: 'POST /tokens/sse-code',
    access: 'confirmed',
    dto: NoArgumentsDto,
    result: '{code}',
    handle: async (s, _a, u) => ({ code: await s.sseCodes.codeFor(u.userId, u.sessionId) }),
  },
  api_delete_sse_auth_code: {
    rest: 'DELETE /tokens/sse-code',
    access: 'confirmed',
    dto: NoArgumentsDto,
    result: '{}',
    handle: async (s, _a, u) => (await s.sseCodes.revoke(u.sessionId), ok),
  },
  devise_token: {
    rest: 'POST /devices',
    access: 'confirmed',
    dto: RegisterDeviceDto,
    result: '{user_devise}',
    handle: async (s, a: RegisterDeviceDto, u) => ({
      user_devise: (await s.devices.register(u.userId, a.token, a.notification_service)).device,
    }),
  },
  remove_devise_token: {
    rest: 'DELETE /devices/:token',
    access: 'confirmed',
    dto: RegisterDeviceDto,
    result: '{result: true}',
    handle: async (s, a: RegisterDeviceDto, u) => (
      await s.devices.remove(u.userId, a.token),
      { result: true }
    ),
  },
  block_user: {
    rest: 'POST /blocks',
    access: 'confirmed',
    dto: UserIdDto,
    result: '{}',
    handle: async (s, a: UserIdDto, u) => (await s.blocking.block(u.userId, a.user_id), ok),
  },
  unblock_user: {
    rest: 'DELETE /blocks/:user_id',
    access: 'confirmed',
    dto: UserIdDto,
    result: '{}',
    handle: async (s, a: UserIdDto, u) => (await s.blocking.unblock(u.userId, a.user_id), ok),
  },
  get_blocked_users: {
    rest: 'GET /blocks',
    access: 'confirmed',
    dto: NoArgumentsDto,
    result: '{users}',
    handle: async (s, _a, u) => ({ users: await s.blocking.blockedBy(u.userId) }),
  },
  get_users: {
    rest: 'GET /users',
    access: 'confirmed',
    dto: UserIdsDto,
    result: '{users}',
    handle: async (s, a: UserIdsDto, u) => ({
      users: await s.directory.publicUsers([...new Set(a.ids)], u.userId),
    }),
  },
  get_users_who_blocked_me: {
    rest: 'GET /blocks/blockers',
    access: 'confirmed',
    dto: NoArgumentsDto,
    result: '{users}',
    handle: async (s, _a, u) => ({ users: await s.blocking.blockersOf(u.userId) }),
  },
  get_last_seen: {
    rest: 'GET /users/:id/last-seen',
    access: 'public',
    readsCaller: true,
    dto: UserIdDto,
    result: '{user_id, is_online, last_seen_at, seconds_ago}',
    handle: (s, a: UserIdDto, u) => s.presence.lastSeen(a.user_id, u?.userId ?? null),
  },
} satisfies Record<string, RpcMethodSpec>;

export type RpcMethodName = keyof typeof RPC_METHODS;
