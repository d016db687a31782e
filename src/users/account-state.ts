import type { User } from './user.entity.js';

/**
 * Whether an operator disabled the account. No account can be disabled yet: this is the one
 * place that says so, read by the service routes (`disabled`, and `can_message` false).
 */
export function isDisabled(_user: User): boolean {
  return false;
}
