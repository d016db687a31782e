import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_ID } from './ids.js';

export class UserIdDto {
  @ApiProperty({
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: MAX_ID,
    example: 290,
    description: 'The other user (their id is also their JID).',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  user_id: number;
}
