import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { MaxTextLength } from '../../common/validation.js';

/** Far above any access token the service issues; a longer one is not read. */
const INTROSPECTED_TOKEN_MAX_LENGTH = 4096;

export class IntrospectDto {
  @ApiProperty({
    description: 'An access token, as a client sent it to you.',
    example: 'eyJhbGciOiJFUzI1NiIs…',
    maxLength: INTROSPECTED_TOKEN_MAX_LENGTH,
  })
  @IsString()
  @MaxTextLength(INTROSPECTED_TOKEN_MAX_LENGTH)
  token: string;
}
