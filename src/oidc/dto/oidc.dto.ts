import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString } from 'class-validator';
import { MayBeOmitted, MaxTextLength } from '../../common/validation.js';

export class LoginCodeDto {
  @ApiProperty({
    description: 'The one-time `login_code` the web flow put in the application URL (60 s).',
    minLength: 1,
    maxLength: 200,
  })
  @IsString()
  @IsNotEmpty()
  @MaxTextLength(200)
  login_code: string;
}

export class IdTokenDto {
  @ApiProperty({
    description: "The ID token the provider's SDK gave the app.",
    minLength: 1,
    maxLength: 8000,
  })
  @IsString()
  @IsNotEmpty()
  @MaxTextLength(8000)
  id_token: string;

  @ApiProperty({
    description:
      'The nonce the app gave the SDK; the token carries it, or its SHA-256 in hex (Apple, Firebase).',
    minLength: 1,
    maxLength: 500,
  })
  @IsString()
  @IsNotEmpty()
  @MaxTextLength(500)
  nonce: string;
}

/** Linking while signed in: a login code from the web flow, or an ID token with its nonce. */
export class LinkIdentityDto {
  @ApiPropertyOptional({ description: 'A `login_code` from the web flow.', minLength: 1, maxLength: 200 })
  @MayBeOmitted()
  @IsString()
  @IsNotEmpty()
  @MaxTextLength(200)
  login_code?: string;

  @ApiPropertyOptional({ description: "An ID token from the provider's SDK.", minLength: 1, maxLength: 8000 })
  @MayBeOmitted()
  @IsString()
  @IsNotEmpty()
  @MaxTextLength(8000)
  id_token?: string;

  @ApiPropertyOptional({ description: 'The nonce given with `id_token`.', minLength: 1, maxLength: 500 })
  @MayBeOmitted()
  @IsString()
  @IsNotEmpty()
  @MaxTextLength(500)
  nonce?: string;
}
