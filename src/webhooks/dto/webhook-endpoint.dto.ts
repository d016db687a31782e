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

export class CreateWebhookEndpointDto {
  @ApiProperty({
    example: 'https://messages.example.com/hooks/unichat',
    description: 'An `https://` URL of a public address (unless WEBHOOK_ALLOW_PRIVATE=true).',
  })
  @IsString()
  @MaxLength(2000)
  url: string;

  @ApiProperty({ example: ['user.deleted', 'block.created'], description: EVENT_TYPES_DESCRIPTION })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  event_types: string[];

  @ApiPropertyOptional({ example: 'message service', description: 'A note for operators.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;
}

export class UpdateWebhookEndpointDto {
  @ApiPropertyOptional({ example: 'https://messages.example.com/hooks/unichat' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  url?: string;

  @ApiPropertyOptional({ example: ['user.deleted'], description: EVENT_TYPES_DESCRIPTION })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  event_types?: string[];

  @ApiPropertyOptional({ example: 'message service' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;

  @ApiPropertyOptional({
    description: '`true` enables a disabled endpoint (its failing time forgotten); `false` disables it.',
  })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class WebhookDeliveriesQueryDto {
  @ApiPropertyOptional({ description: 'Deliveries listed, newest first, 1 to 100 (50)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
