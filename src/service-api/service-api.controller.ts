import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ServiceScope } from '../service-keys/service-scope.decorator.js';
import { IntrospectDto } from './dto/introspect.dto.js';
import { parsePairs, RelationsDto } from './dto/relations.dto.js';
import { parseIds, ServiceUsersQuery } from './dto/service-users-query.dto.js';
import { ServiceApiService } from './service-api.service.js';

@ApiTags('service')
@Controller('service')
export class ServiceApiController {
  constructor(private readonly service: ServiceApiService) {}

  @Post('introspect')
  @HttpCode(200)
  @ServiceScope('tokens:introspect')
  @ApiOperation({ summary: 'Whether an access token is live now, and whose (RFC 7662)' })
  introspect(@Body() dto: IntrospectDto) {
    return this.service.introspect(dto.token);
  }

  @Post('relations')
  @HttpCode(200)
  @ServiceScope('relations:read')
  @ApiOperation({ summary: 'Who may write to whom: blocks, contacts and friendship of up to 100 pairs' })
  async relations(@Body() dto: RelationsDto) {
    return { relations: await this.service.relations(parsePairs(dto.pairs)) };
  }

  @Get('users')
  @ServiceScope('users:read')
  @ApiOperation({ summary: 'Up to 100 users as anybody sees them, with their account state' })
  async users(@Query() query: ServiceUsersQuery) {
    return { users: await this.service.usersByIds(parseIds(query.ids)) };
  }
}
