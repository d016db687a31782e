import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { AppError } from '../../common/errors.js';
import { MAX_ID, parseId } from '../../common/ids.js';
import { MaxTextLength } from '../../common/validation.js';
import { MAX_PER_SERVICE_CALL } from './relations.dto.js';

export class ServiceUsersQuery {
  @ApiProperty({
    description: `User ids separated by commas, at most ${MAX_PER_SERVICE_CALL}.`,
    example: '12,7,290',
  })
  @IsString()
  @MaxTextLength(MAX_PER_SERVICE_CALL * 11)
  ids: string;
}

/** The ids asked for, in order, each once. */
export function parseIds(raw: string): number[] {
  const ids = raw.split(',').map(parseId);
  if (ids.some((id) => id === null)) {
    throw new AppError(
      'invalid_params',
      `ids must be positive integers up to ${MAX_ID}, separated by commas`,
    );
  }
  const unique = [...new Set(ids as number[])];
  if (unique.length > MAX_PER_SERVICE_CALL) {
    throw new AppError('invalid_params', `at most ${MAX_PER_SERVICE_CALL} ids at once`);
  }
  return unique;
}
