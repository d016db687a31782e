import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors.js';
import { UsersService } from '../users/users.service.js';
import type { AuthenticatedUser } from './jwt.strategy.js';

/**
 * The confirmed-email rule for a caller with a valid access token. Looks the user up
 * (from UsersService's cache) only when the token was issued before the address was confirmed.
 */
@Injectable()
export class ConfirmationGate {
  constructor(private readonly users: UsersService) {}

  async assertConfirmed(user: AuthenticatedUser): Promise<void> {
    if (user.emailConfirmedAtIssue) return;
    if (!(await this.users.isConfirmed(user.userId))) throw new AppError('email_not_confirmed');
  }
}
