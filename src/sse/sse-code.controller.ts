import { Controller, Delete, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthUser, CurrentUser } from '../common/auth.decorators.js';
import { SseCodesService } from './sse-codes.service.js';

@ApiTags('tokens')
@ApiBearerAuth()
@Controller('tokens/sse-code')
export class SseCodeController {
  constructor(private readonly codes: SseCodesService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'My SSE code for GET /events?code= (created, or the existing one) (seed: api_create_sse_auth_code)',
  })
  async create(@CurrentUser() user: AuthUser) {
    return { code: await this.codes.codeFor(user.userId) };
  }

  @Delete()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke my SSE code; streams opened with it close (seed: api_delete_sse_auth_code)',
  })
  async revoke(@CurrentUser() user: AuthUser) {
    await this.codes.revoke(user.userId);
    return {};
  }
}
