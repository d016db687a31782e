import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsString, MaxLength } from 'class-validator';
import { MayBeOmitted } from '../../common/validation.js';

export class RegisterDto {
  @ApiProperty({ example: 'ann@example.com' })
  @IsString()
  @MaxLength(1000)
  email: string;

  @ApiProperty({ description: 'At least 10 characters of at least two kinds; not the email address.' })
  @IsString()
  @MaxLength(1000)
  password: string;

  @ApiPropertyOptional({
    description: 'Starts with a letter, 5 to 64 characters, unique without regard to case.',
  })
  @MayBeOmitted()
  @IsString()
  @MaxLength(1000)
  nick?: string;

  @ApiPropertyOptional({ description: 'Also log in: the answer then carries auth_token and access_token.' })
  @MayBeOmitted()
  @IsBoolean()
  auto_login?: boolean;
}

export class EmailDto {
  @ApiProperty({ example: 'ann@example.com' })
  @IsString()
  @MaxLength(1000)
  email: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The password_reset_token from the mail link.' })
  @IsString()
  @MaxLength(200)
  token: string;

  @ApiProperty()
  @IsString()
  @MaxLength(1000)
  password: string;
}

/** Either email + password, or the auth_token of an earlier login. */
export class CredentialsDto {
  @ApiPropertyOptional({ example: 'ann@example.com' })
  @MayBeOmitted()
  @IsString()
  @MaxLength(1000)
  email?: string;

  @ApiPropertyOptional()
  @MayBeOmitted()
  @IsString()
  @MaxLength(1000)
  password?: string;

  @ApiPropertyOptional({
    description: 'Long-lived token from an earlier login, instead of email and password.',
  })
  @MayBeOmitted()
  @IsString()
  @MaxLength(200)
  auth_token?: string;
}

export class LogoutDto {
  @ApiPropertyOptional({ description: 'A push token this device gives up; it is removed with the session.' })
  @MayBeOmitted()
  @IsString()
  @MaxLength(200)
  device_token?: string;
}
