import { AppError } from '../common/errors.js';
import { type Credentials } from './credential-login.service.js';
import { CredentialsDto } from './dto/auth.dto.js';

/**
 * The two ways to log in are exclusive: email + password (with a second-factor code or not), or
 * auth_token (a session that passed the second factor, so no code goes with it).
 */
export function credentialsFrom(dto: CredentialsDto): Credentials {
  const hasPassword = dto.email !== undefined || dto.password !== undefined;
  if (dto.auth_token !== undefined && !hasPassword && dto.code === undefined) {
    return { authToken: dto.auth_token };
  }
  if (dto.auth_token === undefined && dto.email !== undefined && dto.password !== undefined) {
    return { email: dto.email, password: dto.password, code: dto.code };
  }
  throw new AppError('invalid_params', 'send either email and password (and code), or auth_token');
}
