import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AccountService } from '../account/account.service.js';
import { CredentialLoginService } from '../auth/credential-login.service.js';
import { EmailConfirmationService } from '../auth/email-confirmation.service.js';
import { LoginService } from '../auth/login.service.js';
import { PasswordResetService } from '../auth/password-reset.service.js';
import { RegistrationService } from '../auth/registration.service.js';
import { MfaLoginService } from '../mfa/mfa-login.service.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { BlockingService } from '../blocking/blocking.service.js';
import type { AuthUser } from '../common/auth.decorators.js';
import { AppError } from '../common/errors.js';
import { createValidationPipe } from '../common/validation.js';
import { DevicesService } from '../devices/devices.service.js';
import { PresenceService } from '../presence/presence.service.js';
import { ProfileService } from '../profile/profile.service.js';
import { UserDirectoryService } from '../users/user-directory.service.js';
import { ConfirmationGate } from '../sessions/confirmation-gate.service.js';
import type { AuthenticatedUser } from '../sessions/jwt.strategy.js';
import { SseCodesService } from '../sse/sse-codes.service.js';
import {
  NoArgumentsDto,
  RPC_METHODS,
  type RpcMethodName,
  type RpcMethodSpec,
  type RpcServices,
} from './rpc-methods.js';

/** Calls the same services as the REST routes, by the seed's method names. */
@Injectable()
export class RpcService implements OnModuleInit {
  private readonly pipe = createValidationPipe();
  private services: RpcServices;

  constructor(
    private readonly modules: ModuleRef,
    private readonly confirmation: ConfirmationGate,
  ) {}

  /** The services are looked up once every module is built, by class: the dispatcher holds no rule. */
  onModuleInit(): void {
    const get = <T>(type: Type<T>): T => this.modules.get(type, { strict: false });
    this.services = {
      registration: get(RegistrationService),
      confirmation: get(EmailConfirmationService),
      passwordReset: get(PasswordResetService),
      credentialLogin: get(CredentialLoginService),
      logins: get(LoginService),
      mfaLogin: get(MfaLoginService),
      profile: get(ProfileService),
      directory: get(UserDirectoryService),
      presence: get(PresenceService),
      blocking: get(BlockingService),
      devices: get(DevicesService),
      sseCodes: get(SseCodesService),
      account: get(AccountService),
    };
  }

  /** `caller`: who calls, null without a token, or why the token sent was refused. */
  async call(
    method: string,
    args: unknown,
    callerOrFailure: AuthenticatedUser | AppError | null,
    client: ClientInfo,
  ): Promise<unknown> {
    if (!Object.hasOwn(RPC_METHODS, method))
      throw new AppError('not_found', `no method named "${method.slice(0, 60)}"`);
    const spec: RpcMethodSpec = RPC_METHODS[method as RpcMethodName];
    // A bad token is refused wherever the caller matters; logging in again with a stale one works.
    if (callerOrFailure instanceof AppError && (spec.access !== 'public' || spec.readsCaller)) {
      throw callerOrFailure;
    }
    const caller = callerOrFailure instanceof AppError ? null : callerOrFailure;
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
    return spec.handle(this.services, validated as never, caller as AuthUser, client);
  }
}
