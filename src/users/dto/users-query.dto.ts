import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { AppError } from '../../common/errors.js';
import { MAX_ID, parseIdList } from '../../common/ids.js';
import { MaxTextLength } from '../../common/validation.js';

/** The most users one `GET /users?ids=` resolves. */
export const MAX_IDS_PER_LOOKUP = 100;
/** The longest `ids` and `nick` a GET /users takes (UTF-16 code units). */
export const MAX_IDS_QUERY_LENGTH = MAX_IDS_PER_LOOKUP * 11;
export const MAX_NICK_QUERY_LENGTH = 64;

/** GET /users: exactly one of `ids` (several users at once) and `nick` (a search). */
export class UsersQuery {
  @ApiPropertyOptional({
    minLength: 2,
    maxLength: 64,
    description: 'Nick prefix, at least 2 characters, case-insensitive.',
  })
  @IsOptional()
  @IsString()
  @MaxTextLength(MAX_NICK_QUERY_LENGTH)
  nick?: string;

  @ApiPropertyOptional({
    description: `User ids separated by commas, at most ${MAX_IDS_PER_LOOKUP}.`,
    example: '12,7,290',
  })
  @IsOptional()
  @IsString()
  @MaxTextLength(MAX_IDS_QUERY_LENGTH)
  ids?: string;
}

/** The lookup a GET /users asks for: ids in the order given, each once; or a nick prefix. */
export function parseUsersQuery(query: UsersQuery): { ids: number[] } | { nick: string } {
  if (query.ids === undefined && query.nick === undefined) {
    throw new AppError('invalid_params', 'nick is required (a search), or ids (users by id)');
  }
  if (query.ids !== undefined && query.nick !== undefined) {
    throw new AppError('invalid_params', 'send either ids (users by id) or nick (a search), not both');
  }
  if (query.nick !== undefined) return { nick: query.nick };
  const ids = parseIdList(query.ids as string);
  if (ids === null) {
    throw new AppError(
      'invalid_params',
      `ids must be positive integers up to ${MAX_ID}, separated by commas`,
    );
  }
  const unique = [...new Set(ids)];
  if (unique.length > MAX_IDS_PER_LOOKUP) {
    throw new AppError('invalid_params', `at most ${MAX_IDS_PER_LOOKUP} ids at once`);
  }
  return { ids: unique };
}

/** RPC `get_users`: the twin of `GET /users?ids=`, the ids as a JSON array. */
export class UserIdsDto {
  @ApiProperty({
    type: 'integer',
    isArray: true,
    format: 'int32',
    minimum: 1,
    maximum: MAX_ID,
    minItems: 1,
    maxItems: MAX_IDS_PER_LOOKUP,
    example: [12, 7, 290],
    description: `Up to ${MAX_IDS_PER_LOOKUP} user ids; an id sent twice answers once.`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_IDS_PER_LOOKUP)
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(MAX_ID, { each: true })
  ids: number[];
}
