import { ApiProperty } from '@nestjs/swagger';
import { Allow } from 'class-validator';
import { AppError } from '../../common/errors.js';

export class SetStatusDto {
  @ApiProperty({
    nullable: true,
    enum: ['away', 'busy', 'do_not_disturb', 'invisible'],
    description: 'null clears the status; anything else is invalid_user_status.',
  })
  @Allow()
  status: unknown;
}

/** The status to set: null clears it, leaving the field out is `invalid_params` (route and RPC alike). */
export function statusOf(dto: SetStatusDto): unknown {
  if (dto.status === undefined) throw new AppError('invalid_params', 'status is required (null clears it)');
  return dto.status;
}
