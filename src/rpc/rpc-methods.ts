import { DeleteMeDto } from '../account/dto/account.dto.js';
import { UserIdDto } from '../blocking/dto/block-user.dto.js';
import { CredentialsDto, EmailDto, LogoutDto, RegisterDto, ResetPasswordDto } from '../auth/dto/auth.dto.js';
import { RegisterDeviceDto } from '../devices/dto/register-device.dto.js';
import { SetStatusDto } from '../presence/dto/status.dto.js';
import { UpdateMeDto } from '../profile/dto/update-me.dto.js';

/** Methods that take no arguments: any field is `invalid_params`, as everywhere else. */
export class NoArgumentsDto {}

/** Who may call a method: anybody, any logged-in user, or a user with a confirmed email. */
export type RpcAccess = 'public' | 'user' | 'confirmed';

export interface RpcMethodSpec {
  /** The REST route the method stands for (documentation and the OpenAPI description). */
  rest: string;
  access: RpcAccess;
  dto: new () => object;
  /** The seed's result shape. */
  result: string;
  /** A public method whose answer depends on who calls: a bad token is refused, as on its route. */
  readsCaller?: true;
}

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
  },
  resend_confirmation: {
    rest: 'POST /auth/resend-confirmation',
    access: 'public',
    dto: EmailDto,
    result: '{}',
  },
  request_password_reset: {
    rest: 'POST /auth/password-reset/request',
    access: 'public',
    dto: EmailDto,
    result: '{}',
  },
  reset_password: {
    rest: 'POST /auth/password-reset',
    access: 'public',
    dto: ResetPasswordDto,
    result: '{}',
  },
  login: {
    rest: 'POST /auth/login',
    access: 'public',
    dto: CredentialsDto,
    result: '{user, access_token, token_type, expires_in}',
  },
  logout: { rest: 'POST /auth/logout', access: 'user', dto: LogoutDto, result: '{}' },
  update_me: { rest: 'PATCH /me', access: 'user', dto: UpdateMeDto, result: '{user}' },
  me: { rest: 'GET /me', access: 'user', dto: NoArgumentsDto, result: '{user}' },
  delete_me: { rest: 'DELETE /me', access: 'user', dto: DeleteMeDto, result: '{}' },
  get_user: { rest: 'GET /users/:id', access: 'public', readsCaller: true, dto: UserIdDto, result: '{user}' },
  set_status: { rest: 'PUT /me/status', access: 'user', dto: SetStatusDto, result: '{user}' },
  api_create_sse_auth_code: {
    rest: 'POST /tokens/sse-code',
    access: 'confirmed',
    dto: NoArgumentsDto,
    result: '{code}',
  },
  api_delete_sse_auth_code: {
    rest: 'DELETE /tokens/sse-code',
    access: 'confirmed',
    dto: NoArgumentsDto,
    result: '{}',
  },
  devise_token: {
    rest: 'POST /devices',
    access: 'confirmed',
    dto: RegisterDeviceDto,
    result: '{user_devise}',
  },
  remove_devise_token: {
    rest: 'DELETE /devices/:token',
    access: 'confirmed',
    dto: RegisterDeviceDto,
    result: '{result: true}',
  },
  block_user: { rest: 'POST /blocks', access: 'confirmed', dto: UserIdDto, result: '{}' },
  unblock_user: { rest: 'DELETE /blocks/:user_id', access: 'confirmed', dto: UserIdDto, result: '{}' },
  get_blocked_users: { rest: 'GET /blocks', access: 'confirmed', dto: NoArgumentsDto, result: '{users}' },
  get_users_who_blocked_me: {
    rest: 'GET /blocks/blockers',
    access: 'confirmed',
    dto: NoArgumentsDto,
    result: '{users}',
  },
  get_last_seen: {
    rest: 'GET /users/:id/last-seen',
    access: 'public',
    readsCaller: true,
    dto: UserIdDto,
    result: '{user_id, is_online, last_seen_at, seconds_ago}',
  },
} satisfies Record<string, RpcMethodSpec>;

export type RpcMethodName = keyof typeof RPC_METHODS;
