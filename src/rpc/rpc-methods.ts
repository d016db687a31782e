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
import { NoArgumentsDto } from '../common/openapi/helpers.js';
import { ACCOUNT_RPC } from '../account/account.contract.js';
import { MFA_RPC } from '../mfa/mfa.contract.js';
import { AUTH_RPC } from '../auth/auth.contract.js';
import { BLOCKING_RPC } from '../blocking/blocking.contract.js';
import { DEVICES_RPC } from '../devices/devices.contract.js';
import { PRESENCE_RPC } from '../presence/presence.contract.js';
import { PROFILE_RPC } from '../profile/profile.contract.js';
import { SSE_RPC } from '../sse/sse.contract.js';
import { USERS_RPC } from '../users/users.contract.js';

/** Methods that take no arguments: any field is `invalid_params`, as everywhere else. */
export { NoArgumentsDto };

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
 * The seed's methods (and MirrorFly-named aliases) mapped onto the REST routes: the endpoint's
 * dispatch table. Each method's route, access and arguments come from the contract of the feature
 * that serves it (its `rpcMethods`), which the OpenAPI document reads.
 */
export const RPC_METHODS = {
  register: {
    ...AUTH_RPC.register,
    result: '{user} (+ access_token… with auto_login)',
    handle: (s, a: RegisterDto, _u, client) => s.registration.register(a, client),
  },
  resend_confirmation: {
    ...AUTH_RPC.resend_confirmation,
    result: '{}',
    handle: async (s, a: EmailDto) => (await s.confirmation.resendConfirmation(a.email), ok),
  },
  request_password_reset: {
    ...AUTH_RPC.request_password_reset,
    result: '{}',
    handle: async (s, a: EmailDto) => (await s.passwordReset.requestPasswordReset(a.email), ok),
  },
  reset_password: {
    ...AUTH_RPC.reset_password,
    result: '{}',
    handle: async (s, a: ResetPasswordDto) => (await s.passwordReset.resetPassword(a.token, a.password), ok),
  },
  login: {
    ...AUTH_RPC.login,
    result: '{user, access_token, token_type, expires_in}',
    handle: (s, a: CredentialsDto, _u, client) => s.credentialLogin.login(credentialsFrom(a), client),
  },
  login_mfa: {
    ...MFA_RPC.login_mfa,
    result: '{user, access_token, token_type, expires_in}',
    handle: (s, a: MfaLoginDto, _u, client) => s.mfaLogin.complete(a.mfa_token, a.code, client),
  },
  logout: {
    ...AUTH_RPC.logout,
    result: '{}',
    handle: async (s, a: LogoutDto, u) => (
      await s.logins.logout(u.userId, u.sessionId, a.device_token ?? null),
      ok
    ),
  },
  update_me: {
    ...PROFILE_RPC.update_me,
    result: '{user}',
    handle: async (s, a: UpdateMeDto, u, client) => ({
      user: await s.profile.update(u.userId, u.sessionId, a, client),
    }),
  },
  me: {
    ...PROFILE_RPC.me,
    result: '{user}',
    handle: async (s, _a, u) => ({ user: await s.profile.me(u.userId, u.sessionId) }),
  },
  delete_me: {
    ...ACCOUNT_RPC.delete_me,
    result: '{}',
    handle: async (s, a: DeleteMeDto, u, client) => (
      await s.account.delete(u.userId, u.sessionId, a.current_password, client),
      ok
    ),
  },
  get_user: {
    ...USERS_RPC.get_user,
    readsCaller: true,
    result: '{user}',
    handle: async (s, a: UserIdDto, u) => ({
      user: await s.directory.publicUser(a.user_id, u?.userId ?? null),
    }),
  },
  set_status: {
    ...PRESENCE_RPC.set_status,
    result: '{user}',
    handle: async (s, a: SetStatusDto, u) => ({ user: await s.presence.setStatus(u.userId, statusOf(a)) }),
  },
  api_create_sse_auth_code: {
    ...SSE_RPC.api_create_sse_auth_code,
    result: '{code}',
    handle: async (s, _a, u) => ({ code: await s.sseCodes.codeFor(u.userId, u.sessionId) }),
  },
  api_delete_sse_auth_code: {
    ...SSE_RPC.api_delete_sse_auth_code,
    result: '{}',
    handle: async (s, _a, u) => (await s.sseCodes.revoke(u.sessionId), ok),
  },
  devise_token: {
    ...DEVICES_RPC.devise_token,
    result: '{user_devise}',
    handle: async (s, a: RegisterDeviceDto, u) => ({
      user_devise: (await s.devices.register(u.userId, a.token, a.notification_service)).device,
    }),
  },
  remove_devise_token: {
    ...DEVICES_RPC.remove_devise_token,
    result: '{result: true}',
    handle: async (s, a: RegisterDeviceDto, u) => (
      await s.devices.remove(u.userId, a.token),
      { result: true }
    ),
  },
  block_user: {
    ...BLOCKING_RPC.block_user,
    result: '{}',
    handle: async (s, a: UserIdDto, u) => (await s.blocking.block(u.userId, a.user_id), ok),
  },
  unblock_user: {
    ...BLOCKING_RPC.unblock_user,
    result: '{}',
    handle: async (s, a: UserIdDto, u) => (await s.blocking.unblock(u.userId, a.user_id), ok),
  },
  get_blocked_users: {
    ...BLOCKING_RPC.get_blocked_users,
    result: '{users}',
    handle: async (s, _a, u) => ({ users: await s.blocking.blockedBy(u.userId) }),
  },
  get_users: {
    ...USERS_RPC.get_users,
    result: '{users}',
    handle: async (s, a: UserIdsDto, u) => ({
      users: await s.directory.publicUsers([...new Set(a.ids)], u.userId),
    }),
  },
  get_users_who_blocked_me: {
    ...BLOCKING_RPC.get_users_who_blocked_me,
    result: '{users}',
    handle: async (s, _a, u) => ({ users: await s.blocking.blockersOf(u.userId) }),
  },
  get_last_seen: {
    ...PRESENCE_RPC.get_last_seen,
    readsCaller: true,
    result: '{user_id, is_online, last_seen_at, seconds_ago}',
    handle: (s, a: UserIdDto, u) => s.presence.lastSeen(a.user_id, u?.userId ?? null),
  },
} satisfies Record<string, RpcMethodSpec>;

export type RpcMethodName = keyof typeof RPC_METHODS;
