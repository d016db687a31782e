import { Injectable } from '@nestjs/common';
import { AuthService, type ClientInfo } from '../auth/auth.service.js';
import { credentialsFrom } from '../auth/credentials.js';
import type {
  CredentialsDto,
  EmailDto,
  LogoutDto,
  RegisterDto,
  ResetPasswordDto,
} from '../auth/dto/auth.dto.js';
import { BlockingService } from '../blocking/blocking.service.js';
import type { UserIdDto } from '../blocking/dto/block-user.dto.js';
import type { AuthUser } from '../common/auth.decorators.js';
import { AppError } from '../common/errors.js';
import { createValidationPipe } from '../common/validation.js';
import { DevicesService } from '../devices/devices.service.js';
import type { RegisterDeviceDto } from '../devices/dto/register-device.dto.js';
import type { SetStatusDto } from '../presence/dto/status.dto.js';
import { PresenceService } from '../presence/presence.service.js';
import type { UpdateMeDto } from '../profile/dto/update-me.dto.js';
import { ProfileService } from '../profile/profile.service.js';
import { ConfirmationGate } from '../sessions/confirmation-gate.service.js';
import type { AuthenticatedUser } from '../sessions/jwt.strategy.js';
import { SseCodesService } from '../sse/sse-codes.service.js';
import { NoArgumentsDto, RPC_METHODS, type RpcMethodName } from './rpc-methods.js';

type Handler = (args: never, user: AuthUser, client: ClientInfo) => Promise<unknown>;

/** Calls the same services as the REST routes, by the seed's method names. */
@Injectable()
export class RpcService {
  private readonly pipe = createValidationPipe();
  private readonly handlers: Record<RpcMethodName, Handler>;

  constructor(
    private readonly auth: AuthService,
    private readonly profile: ProfileService,
    private readonly presence: PresenceService,
    private readonly blocking: BlockingService,
    private readonly devices: DevicesService,
    private readonly sseCodes: SseCodesService,
    private readonly confirmation: ConfirmationGate,
  ) {
    const ok = {};
    this.handlers = {
      register: (a: RegisterDto, _u, client) =>
        this.auth.register(
          { email: a.email, password: a.password, nick: a.nick, autoLogin: a.auto_login },
          client,
        ),
      resend_confirmation: async (a: EmailDto) => (await this.auth.resendConfirmation(a.email), ok),
      request_password_reset: async (a: EmailDto) => (await this.auth.requestPasswordReset(a.email), ok),
      reset_password: async (a: ResetPasswordDto) => (await this.auth.resetPassword(a.token, a.password), ok),
      login: (a: CredentialsDto, _u, client) => this.auth.login(credentialsFrom(a), client),
      logout: async (a: LogoutDto, u) => (
        await this.auth.logout(u.userId, u.sessionId, a.device_token ?? null),
        ok
      ),
      update_me: async (a: UpdateMeDto, u) => ({ user: await this.profile.update(u.userId, u.sessionId, a) }),
      me: async (_a, u) => ({ user: await this.profile.me(u.userId) }),
      get_user: async (a: UserIdDto, u) => ({
        user: await this.profile.publicUser(a.user_id, u?.userId ?? null),
      }),
      set_status: async (a: SetStatusDto, u) => {
        if (a.status === undefined)
          throw new AppError('invalid_params', 'status is required (null clears it)');
        return { user: await this.presence.setStatus(u.userId, a.status) };
      },
      api_create_sse_auth_code: async (_a, u) => ({ code: await this.sseCodes.codeFor(u.userId) }),
      api_delete_sse_auth_code: async (_a, u) => (await this.sseCodes.revoke(u.userId), ok),
      devise_token: async (a: RegisterDeviceDto, u) => ({
        user_devise: (await this.devices.register(u.userId, a.token, a.notification_service)).device,
      }),
      remove_devise_token: async (a: RegisterDeviceDto, u) => (
        await this.devices.remove(u.userId, a.token),
        { result: true }
      ),
      block_user: async (a: UserIdDto, u) => (await this.blocking.block(u.userId, a.user_id), ok),
      unblock_user: async (a: UserIdDto, u) => (await this.blocking.unblock(u.userId, a.user_id), ok),
      get_blocked_users: async (_a, u) => ({ users: await this.blocking.blockedBy(u.userId) }),
      get_users_who_blocked_me: async (_a, u) => ({ users: await this.blocking.blockersOf(u.userId) }),
      get_last_seen: (a: UserIdDto, u) => this.presence.lastSeen(a.user_id, u?.userId ?? null),
    };
  }

  async call(
    method: string,
    args: unknown,
    caller: AuthenticatedUser | null,
    client: ClientInfo,
  ): Promise<unknown> {
    if (!Object.hasOwn(RPC_METHODS, method))
      throw new AppError('not_found', `no method named "${method.slice(0, 60)}"`);
    const spec = RPC_METHODS[method as RpcMethodName];
    if (spec.access !== 'public' && !caller) throw new AppError('unauthorized');
    if (spec.access === 'confirmed' && caller) await this.confirmation.assertConfirmed(caller);
    const body = args === undefined || args === null ? {} : args;
    if (typeof body !== 'object' || Array.isArray(body))
      throw new AppError('invalid_params', 'arguments must be a JSON object');
    if (spec.dto === NoArgumentsDto) {
      const extra = Object.keys(body);
      if (extra.length > 0)
        throw new AppError('invalid_params', `${method} takes no arguments, got ${extra[0]}`);
    }
    const validated =
      spec.dto === NoArgumentsDto
        ? {}
        : await this.pipe.transform(body, { type: 'body', metatype: spec.dto });
    return this.handlers[method as RpcMethodName](validated as never, caller as AuthUser, client);
  }
}
