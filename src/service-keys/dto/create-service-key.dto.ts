import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, MaxLength } from 'class-validator';
import { SERVICE_SCOPES } from '../service-scopes.js';

/** POST /admin/service-keys: who will call with the key, and what it may do. */
export class CreateServiceKeyDto {
  @ApiProperty({
    example: 'messages',
    description:
      'Who uses the key: 1 to 100 letters, digits, spaces or `._:@-`, starting with a letter or digit.',
  })
  @IsString()
  @MaxLength(100)
  name: string;

  @ApiProperty({ example: ['relations:read', 'users:read'], description: `Of ${SERVICE_SCOPES.join(', ')}.` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SERVICE_SCOPES.length)
  @IsIn(SERVICE_SCOPES, { each: true })
  scopes: string[];
}
