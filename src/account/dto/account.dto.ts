import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ACTIVITY_PAGE_MAX } from '../activity.service.js';

export class DeleteMeDto {
  @ApiPropertyOptional({
    description: 'The account password; an account without one needs a login within the last 5 minutes',
    maxLength: 1000,
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  current_password?: string;
}

export class ActivityQueryDto {
  @ApiPropertyOptional({ description: 'Events older than this one (the `next_before_id` of the last page)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2147483647)
  before_id?: number;

  @ApiPropertyOptional({ description: `Events per page, 1 to ${ACTIVITY_PAGE_MAX} (50)` })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(ACTIVITY_PAGE_MAX)
  limit?: number;
}
