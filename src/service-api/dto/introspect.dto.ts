import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { MaxTextLength } from '../../common/validation.js';

export class IntrospectDto {
  @ApiProperty({
    description: 'An access token, as a client sent it to you.',
    example: 'eyJhbGciOiJFUzI1NiIs…',
  })
  @IsString()
  @MaxTextLength(4096)
  token: string;
}
