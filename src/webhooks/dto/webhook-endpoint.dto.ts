import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { WEBHOOK_EVENT_TYPES } from '../webhook-events.js';

const EVENT_TYPES_DESCRIPTION = `The event types it receives: ${WEBHOOK_EVENT_TYPES.join(', ')}.`;
const URL_MAX_LENGTH = 2000;
const DESCRIPTION_MAX_LENGTH = 200;
/** The document's words for `event_types`: each a known type, one to all of them. */
const EVENT_TYPES = {
  type: 'string',
  isArray: true,
  enum: [...WEBHOOK_EVENT_TYPES],
  minItems: 1,
  maxItems: WEBHOOK_EVENT_TYPES.length,
  description: EVENT_TYPES_DESCRIPTION,
} as const;

export class CreateWebhookEndpointDto {
  @ApiProperty({
    example: 'https://messages.example.com/hooks/unichat',
    description: 'An `https://` URL of a public address (unless WEBHOOK_ALLOW_PRIVATE=true).',
    maxLength: URL_MAX_LENGTH,
  })
  @IsString()
  @MaxLength(URL_MAX_LENGTH)
  url: string;

  @ApiProperty({ ...EVENT_TYPES, example: ['user.deleted', 'block.created'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  event_types: string[];

  @ApiPropertyOptional({
    example: 'message service',
    description: 'A note for operators.',
    maxLength: DESCRIPTION_MAX_LENGTH,
  })
  @IsOptional()
  @IsString()
  @MaxLength(DESCRIPTION_MAX_LENGTH)
  description?: string;
}

export class UpdateWebhookEndpointDto {
  @ApiPropertyOptional({ example: 'https://messages.example.com/hooks/unichat', maxLength: URL_MAX_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(URL_MAX_LENGTH)
  url?: string;

  @ApiPropertyOptional({ ...EVENT_TYPES, example: ['user.deleted'] })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  event_types?: string[];

  @ApiPropertyOptional({ example: 'message service', maxLength: DESCRIPTION_MAX_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(DESCRIPTION_MAX_LENGTH)
  description?: string;

  @ApiPropertyOptional({
    description: '`true` enables a disabled endpoint (its failing time forgotten); `false` disables it.',
  })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookDeliveriesQueryDto {
  @ApiPropertyOptional({
    description: 'Deliveries listed, newest first, 1 to 100 (50)',
    minimum: 1,
    maximum: 100,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
