import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

export class UserIdDto {
  @ApiProperty({ example: 290, description: 'The other user (their id is also their JID).' })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  user_id: number;
}
