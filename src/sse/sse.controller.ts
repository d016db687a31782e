import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/auth.decorators.js';
import { AppError } from '../common/errors.js';
import { SseCodesService } from './sse-codes.service.js';
import { parseLastEventId, whenAnswering } from './sse-stream.js';
import { StreamHub } from './stream-hub.service.js';

@ApiTags('sse')
@Controller('events')
export class SseController {
  constructor(
    private readonly codes: SseCodesService,
    private readonly gateway: StreamHub,
  ) {}

  @Public()
  @Get()
  @ApiProduces('text/event-stream')
  @ApiQuery({
    name: 'code',
    description: 'The SSE code from POST /tokens/sse-code (an EventSource cannot send headers).',
  })
  @ApiQuery({
    name: 'last_event_id',
    required: false,
    description: 'For clients that cannot send Last-Event-ID.',
  })
  @ApiOperation({
    summary: 'The live event stream: user_updated, presence, contact_added, blocked, unblocked',
  })
  async stream(
    @Query('code') code: unknown,
    @Query('last_event_id') lastEventIdQuery: unknown,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    // Pipelined behind another request: nothing is checked or taken before its turn, if it comes.
    if (!(await whenAnswering(response))) return;
    if (code === undefined || code === '') {
      throw new AppError('invalid_params', 'code is required: ask POST /api/v1/tokens/sse-code for one');
    }
    const owner = typeof code === 'string' ? await this.codes.verify(code) : null;
    if (!owner) throw new AppError('unauthorized', 'unknown or revoked SSE code');
    const lastEventId = parseLastEventId(
      lastEventIdHeader ?? (typeof lastEventIdQuery === 'string' ? lastEventIdQuery : undefined),
    );
    await this.gateway.open(owner, response, lastEventId);
  }
}
