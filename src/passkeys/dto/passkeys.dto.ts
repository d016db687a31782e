import { ApiProperty } from '@nestjs/swagger';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { Transform } from 'class-transformer';
import { IsObject, IsString, Length } from 'class-validator';
import { MaxTextLength } from '../../common/validation.js';

const trimmed = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class PasskeyNameDto {
  @ApiProperty({
    description: 'How the owner tells it apart, 1 to 64 characters.',
    example: 'MacBook Touch ID',
  })
  @Transform(trimmed)
  @IsString()
  @Length(1, 64)
  name: string;
}

export class AddPasskeyDto extends PasskeyNameDto {
  @ApiProperty({ description: 'The JSON of the credential `navigator.credentials.create()` gave.' })
  @IsObject()
  response: RegistrationResponseJSON;
}

export class PasskeySignInDto {
  @ApiProperty({ description: 'The `challenge_id` of POST /auth/passkey/options.' })
  @IsString()
  @MaxTextLength(64)
  challenge_id: string;

  @ApiProperty({ description: 'The JSON of the credential `navigator.credentials.get()` gave.' })
  @IsObject()
  response: AuthenticationResponseJSON;
}
