import type { User } from './user.entity.js';

/**
 * Whether an operator disabled the account (admin/): it cannot log in and has no session. The one
 * place that says so, read by the login doors and the service routes (`disabled`, and
 * `can_message` false).
 */
export function isDisabled(user: Pick<User, 'disabledAt'>): boolean {
  return user.disabledAt !== null;
}
