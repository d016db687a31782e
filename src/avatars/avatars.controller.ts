import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../common/auth.decorators.js';
import { matchesIfNoneMatch } from '../common/conditional-get.js';
import { AvatarsService } from './avatars.service.js';

@ApiTags('profile')
@Controller('avatars')
export class AvatarsController {
  constructor(private readonly avatars: AvatarsService) {}

  @Public()
  @Get(':key')
  @ApiOperation({ summary: 'An avatar image: immutable under its key, cacheable for a year' })
  async avatar(@Param('key') key: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const image = await this.avatars.get(key);
    response.setHeader('ETag', image.etag);
    response.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    response.setHeader('Content-Type', image.contentType);
    if (matchesIfNoneMatch(request.headers['if-none-match'], image.etag)) {
      response.status(304).end();
      return;
    }
    response.status(200).end(image.data);
  }
}
