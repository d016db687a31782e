import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { PositiveIntPipe } from '../common/positive-int.pipe.js';
import { CreateServiceKeyDto } from './dto/create-service-key.dto.js';
import { operatorOf } from './operator.js';
import { CurrentServiceKey, ServiceScope } from './service-scope.decorator.js';
import { type ServicePrincipal } from './service-scopes.js';
import { ServiceKeysService } from './service-keys.service.js';

@ApiTags('admin')
@ServiceScope('admin')
@Controller('admin/service-keys')
export class ServiceKeysController {
  constructor(private readonly keys: ServiceKeysService) {}

  @Get()
  @ApiOperation({ summary: 'Every service key with its scopes, last use and revocation (never the key)' })
  async list() {
    return { service_keys: await this.keys.list() };
  }

  @Post()
  @ApiOperation({ summary: 'Make a service key; the key is answered now, and never again' })
  async create(@Body() dto: CreateServiceKeyDto, @CurrentServiceKey() caller: ServicePrincipal) {
    const { key, record } = await this.keys.create(dto.name, dto.scopes, operatorOf(caller));
    return { service_key: record, key };
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a service key: it is refused at once, on every instance' })
  async revoke(@Param('id', PositiveIntPipe) id: number, @CurrentServiceKey() caller: ServicePrincipal) {
    return { service_key: await this.keys.revoke(id, operatorOf(caller)) };
  }
}
