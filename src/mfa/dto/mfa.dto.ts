import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { MaxTextLength } from '../../common/validation.js';

export class StartTotpDto {
  @ApiProperty({ description: 'The account password.' })
  @IsString()
  @MaxTextLength(1000)
  current_password: string;
}

export class MfaCodeDto {
  @ApiProperty({
    description: 'Six digits from the authenticator app, or an unused recovery code.',
    example: '123456',
  })
  @IsString()
  @MaxTextLength(64)
  code: string;
}

export class MfaLoginDto {
  @ApiProperty({ description: 'The `mfa_token` of the `mfa_required` answer to the password.' })
  @IsString()
  @MaxTextLength(200)
  mfa_token: string;

  @ApiProperty({
    description: 'Six digits from the authenticator app, or an unused recovery code.',
    example: '123456',
  })
  @IsString()
  @MaxTextLength(64)
  code: string;
}
