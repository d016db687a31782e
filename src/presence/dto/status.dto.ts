import { ApiProperty } from '@nestjs/swagger';
import { Allow } from 'class-validator';

export class SetStatusDto {
  @ApiProperty({
    nullable: true,
    enum: ['away', 'busy', 'do_not_disturb', 'invisible'],
    description: 'null clears the status; anything else is invalid_user_status.',
  })
  @Allow()
  status: unknown;
}
