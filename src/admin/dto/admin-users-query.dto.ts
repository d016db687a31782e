import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MaxTextLength } from '../../common/validation.js';
import { ADMIN_PAGE_DEFAULT, ADMIN_PAGE_MAX } from '../admin-users.service.js';

/** GET /admin/users: at most one of `id`, `email`, `nick` (none lists everybody), paged by cursor. */
export class AdminUsersQueryDto {
  @ApiPropertyOptional({ description: 'One user by id (decimal digits).', example: '290' })
  @IsOptional()
  @IsString()
  @MaxTextLength(10)
  id?: string;

  @ApiPropertyOptional({ description: 'Email prefix, compared folded (any case).', example: 'ann@' })
  @IsOptional()
  @IsString()
  @MaxTextLength(254)
  email?: string;

  @ApiPropertyOptional({ description: 'Nick prefix, case-insensitive; every user, searchable or not.' })
  @IsOptional()
  @IsString()
  @MaxTextLength(64)
  nick?: string;

  @ApiPropertyOptional({ description: `Users per page, 1 to ${ADMIN_PAGE_MAX} (${ADMIN_PAGE_DEFAULT})` })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(ADMIN_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `next_cursor` of the previous page of the same search.' })
  @IsOptional()
  @IsString()
  @Matches(/^[\w-]{1,700}$/)
  cursor?: string;
}
