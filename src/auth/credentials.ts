import { AppError } from '../common/errors.js';
import { type Credentials } from './credential-login.service.js';
import { CredentialsDto } from './dto/auth.dto.js';

/** The two ways to log in are exclusive: email + password, or auth_token. */
export function credentialsFrom(dto: CredentialsDto): Credentials {
  const hasPassword = dto.email !== undefined || dto.password !== undefined;
  if (dto.auth_token !== undefined && !hasPassword) return { authToken: dto.auth_token };
  if (dto.auth_token === undefined && dto.email !== undefined && dto.password !== undefined) {
    return { email: dto.email, password: dto.password };
  }
  throw new AppError('invalid_params', 'send either email and password, or auth_token');
}
