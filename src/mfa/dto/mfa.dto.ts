import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { MaxTextLength } from '../../common/validation.js';
import {
  SECOND_FACTOR_CODE as CODE,
  SECOND_FACTOR_CODE_MAX_LENGTH as CODE_MAX_LENGTH,
} from '../../auth/dto/auth.dto.js';

const MFA_TOKEN_MAX_LENGTH = 200;
const PASSWORD_MAX_LENGTH = 1000;

// An empty value is `invalid_params`, not a wrong password or code: it counts as no failed check.

export class StartTotpDto {
  @ApiProperty({
    description:
      'The account password. An account without one (made by a sign-in with a provider) leaves it out and needs a session opened in the last 5 minutes.',
    minLength: 1,
    maxLength: PASSWORD_MAX_LENGTH,
    required: false,
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxTextLength(PASSWORD_MAX_LENGTH)
  current_password?: string;
}

export class MfaCodeDto {
  @ApiProperty(CODE)
  @IsString()
  @IsNotEmpty()
  @MaxTextLength(CODE_MAX_LENGTH)
  code: string;
}

export class MfaLoginDto {
  @ApiProperty({
    description: 'The `mfa_token` of the `mfa_required` answer to the password.',
    minLength: 1,
    maxLength: MFA_TOKEN_MAX_LENGTH,
  })
  @IsString()
  @IsNotEmpty()
  @MaxTextLength(MFA_TOKEN_MAX_LENGTH)
  mfa_token: string;

  @ApiProperty(CODE)
  @IsString()
  @IsNotEmpty()
  @MaxTextLength(CODE_MAX_LENGTH)
  code: string;
}
