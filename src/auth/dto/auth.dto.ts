import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsString } from 'class-validator';
import { MayBeOmitted, MaxTextLength } from '../../common/validation.js';
import { EMAIL_MAX_LENGTH } from '../../users/email.js';
import { NICK_DOCUMENTED } from '../../users/nick.js';
import { PASSWORD_DOCUMENTED } from '../password-policy.js';

export class RegisterDto {
  @ApiProperty({
    example: 'ann@example.com',
    format: 'email',
    maxLength: EMAIL_MAX_LENGTH,
    description: 'An email address; international letters are allowed.',
  })
  @IsString()
  @MaxTextLength(1000)
  email: string;

  @ApiProperty(PASSWORD_DOCUMENTED)
  @IsString()
  @MaxTextLength(1000)
  password: string;

  @ApiPropertyOptional(NICK_DOCUMENTED)
  @MayBeOmitted()
  @IsString()
  @MaxTextLength(1000)
  nick?: string;

  @ApiPropertyOptional({ description: 'Also log in: the answer then carries auth_token and access_token.' })
  @MayBeOmitted()
  @IsBoolean()
  auto_login?: boolean;
}

export class EmailDto {
  @ApiProperty({
    example: 'ann@example.com',
    format: 'email',
    maxLength: EMAIL_MAX_LENGTH,
    description: 'An email address; international letters are allowed.',
  })
  @IsString()
  @MaxTextLength(1000)
  email: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The password_reset_token from the mail link.', maxLength: 200 })
  @IsString()
  @MaxTextLength(200)
  token: string;

  @ApiProperty(PASSWORD_DOCUMENTED)
  @IsString()
  @MaxTextLength(1000)
  password: string;
}

/** The longest second-factor code taken: six digits or a recovery code, with room for spaces a user types. */
export const SECOND_FACTOR_CODE_MAX_LENGTH = 64;

/** A second-factor code as the document describes it (an empty one is `invalid_params`, not a try). */
export const SECOND_FACTOR_CODE = {
  description: 'Six digits from the authenticator app, or an unused recovery code.',
  example: '123456',
  minLength: 1,
  maxLength: SECOND_FACTOR_CODE_MAX_LENGTH,
};

/** Either email + password (and, for an account with two-step login, its code), or the auth_token of an earlier login. */
export class CredentialsDto {
  @ApiPropertyOptional({ example: 'ann@example.com', maxLength: 1000 })
  @MayBeOmitted()
  @IsString()
  @MaxTextLength(1000)
  email?: string;

  @ApiPropertyOptional({ maxLength: 1000 })
  @MayBeOmitted()
  @IsString()
  @MaxTextLength(1000)
  password?: string;

  @ApiPropertyOptional({
    description: 'Long-lived token from an earlier login, instead of email and password.',
    maxLength: 200,
  })
  @MayBeOmitted()
  @IsString()
  @MaxTextLength(200)
  auth_token?: string;

  @ApiPropertyOptional({
    ...SECOND_FACTOR_CODE,
    description:
      'With email and password, for an account with two-step login: its code in the same request, which then answers the login at once instead of `mfa_required`. An account without two-step login ignores it.',
  })
  @MayBeOmitted()
  @IsString()
  @IsNotEmpty()
  @MaxTextLength(SECOND_FACTOR_CODE_MAX_LENGTH)
  code?: string;
}

export class LogoutDto {
  @ApiPropertyOptional({
    description:
      "A push token this device gives up (a phone's token, a browser's push endpoint); it is removed with the session.",
    maxLength: 1000,
  })
  @MayBeOmitted()
  @IsString()
  @MaxTextLength(1000)
  device_token?: string;
}
