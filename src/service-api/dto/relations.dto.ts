import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray } from 'class-validator';
import { AppError } from '../../common/errors.js';
import { MAX_ID } from '../../common/ids.js';

/** The most pairs one `POST /service/relations` answers, and users one `GET /service/users` reads. */
export const MAX_PER_SERVICE_CALL = 100;

export class RelationsDto {
  @ApiProperty({
    description: `Up to ${MAX_PER_SERVICE_CALL} pairs [from, to] of user ids.`,
    example: [
      [12, 290],
      [290, 12],
    ],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PER_SERVICE_CALL)
  pairs: unknown[];
}

const isId = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ID;

/** The pairs as [from, to] ids; `invalid_params` for anything else. */
export function parsePairs(pairs: unknown[]): [number, number][] {
  return pairs.map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2 || !isId(pair[0]) || !isId(pair[1])) {
      throw new AppError('invalid_params', `each pair must be [from, to]: two user ids up to ${MAX_ID}`);
    }
    return [pair[0], pair[1]];
  });
}
