import { type ClientInfo } from '../common/client-info.decorator.js';
import { type User } from '../users/user.entity.js';
import type { LoginResult } from './login.service.js';

/**
 * The second step of a login, asked by every door that proves one factor: a password, or a
 * sign-in with an OpenID provider. The module that owns second factors (mfa/) registers it at
 * start-up, so auth/ need not know it.
 */
export interface SecondFactorGate {
  /** The `mfa_token` to answer when `user` has a second factor on; null when the first factor is enough. */
  challenge(user: User, client: ClientInfo): Promise<string | null>;
  /**
   * The login of `user` with a code sent with the first factor (no second step), counted as the
   * second step's code is; null when `user` has no second factor on.
   */
  completeWithCode(user: User, code: string, client: ClientInfo): Promise<LoginResult | null>;
}
