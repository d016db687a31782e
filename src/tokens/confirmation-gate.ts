import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors.js';
import { UsersService } from '../users/users.service.js';
import type { AuthenticatedUser } from './jwt.strategy.js';

/**
 * The confirmed-email rule of DESIGN §3 for a caller with a valid access token. Reads the
 * database only when the token was issued before the address was confirmed, once per user.
 */
@Injectable()
export class ConfirmationGate {
  /** Users known to have confirmed since their token was issued; confirmation is never undone. */
  private readonly confirmedSince = new Set<number>();

  constructor(private readonly users: UsersService) {}

  async assertConfirmed(user: AuthenticatedUser): Promise<void> {
    if (user.emailConfirmedAtIssue || this.confirmedSince.has(user.userId)) return;
    if (!(await this.users.isConfirmed(user.userId))) throw new AppError('email_not_confirmed');
    this.confirmedSince.add(user.userId);
  }
}
