import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString } from 'class-validator';
import { MayBeOmitted, MaxTextLength } from '../../common/validation.js';

export class RegisterDto {
  @ApiProperty({ example: 'ann@example.com' })
  @IsString()
  @MaxTextLength(1000)
  email: string;

  @ApiProperty({ description: 'At least 10 characters of at least two kinds; not the email address.' })
  @IsString()
  @MaxTextLength(1000)
  password: string;

  @ApiPropertyOptional({
    description: 'Starts with a letter, 5 to 64 characters, unique without regard to case.',
  })
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
  @ApiProperty({ example: 'ann@example.com' })
  @IsString()
  @MaxTextLength(1000)
  email: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The password_reset_token from the mail link.' })
  @IsString()
  @MaxTextLength(200)
  token: string;

  @ApiProperty()
  @IsString()
  @MaxTextLength(1000)
  password: string;
}

/** Either email + password, or the auth_token of an earlier login. */
export class CredentialsDto {
  @ApiPropertyOptional({ example: 'ann@example.com' })
  @MayBeOmitted()
  @IsString()
  @MaxTextLength(1000)
  email?: string;

  @ApiPropertyOptional()
  @MayBeOmitted()
  @IsString()
  @MaxTextLength(1000)
  password?: string;

  @ApiPropertyOptional({
    description: 'Long-lived token from an earlier login, instead of email and password.',
  })
  @MayBeOmitted()
  @IsString()
  @MaxTextLength(200)
  auth_token?: string;
}

export class LogoutDto {
  @ApiPropertyOptional({
    description:
      "A push token this device gives up (a phone's token, a browser's push endpoint); it is removed with the session.",
  })
  @MayBeOmitted()
  @IsString()
  @MaxTextLength(1000)
  device_token?: string;
}
