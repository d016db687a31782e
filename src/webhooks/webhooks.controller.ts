import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { PositiveIntPipe } from '../common/positive-int.pipe.js';
import { operatorOf } from '../service-keys/operator.js';
import { CurrentServiceKey, ServiceScope } from '../service-keys/service-scope.decorator.js';
import { type ServicePrincipal } from '../service-keys/service-scopes.js';
import {
  CreateWebhookEndpointDto,
  UpdateWebhookEndpointDto,
  WebhookDeliveriesQueryDto,
} from './dto/webhook-endpoint.dto.js';
import { WebhookSender } from './webhook-sender.service.js';
import { WebhooksService } from './webhooks.service.js';

@ApiTags('admin')
@ServiceScope('admin')
@Controller('admin/webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly sender: WebhookSender,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Add a webhook endpoint; its signing secret is answered now, and never again' })
  create(@Body() dto: CreateWebhookEndpointDto, @CurrentServiceKey() caller: ServicePrincipal) {
    return this.webhooks.create(dto, operatorOf(caller));
  }

  @Get()
  @ApiOperation({ summary: 'Every webhook endpoint (never a secret)' })
  async list() {
    return { endpoints: await this.webhooks.list() };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One webhook endpoint' })
  async get(@Param('id', PositiveIntPipe) id: number) {
    return { endpoint: await this.webhooks.get(id) };
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the URL, event types or description; enable or disable' })
  async update(
    @Param('id', PositiveIntPipe) id: number,
    @Body() dto: UpdateWebhookEndpointDto,
    @CurrentServiceKey() caller: ServicePrincipal,
  ) {
    return { endpoint: await this.webhooks.update(id, dto, operatorOf(caller)) };
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove a webhook endpoint and its deliveries' })
  async remove(@Param('id', PositiveIntPipe) id: number, @CurrentServiceKey() caller: ServicePrincipal) {
    await this.webhooks.remove(id, operatorOf(caller));
    return {};
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new signing secret, answered once; the old one also signs for 24 hours' })
  rotateSecret(@Param('id', PositiveIntPipe) id: number, @CurrentServiceKey() caller: ServicePrincipal) {
    return this.webhooks.rotateSecret(id, operatorOf(caller));
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a `webhook.test` event to this endpoint now' })
  async test(@Param('id', PositiveIntPipe) id: number, @CurrentServiceKey() caller: ServicePrincipal) {
    const delivery = await this.webhooks.sendTest(id, operatorOf(caller));
    this.sender.kick();
    return { delivery };
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'The latest deliveries to this endpoint, newest first, with status and times' })
  async deliveries(@Param('id', PositiveIntPipe) id: number, @Query() query: WebhookDeliveriesQueryDto) {
    return { deliveries: await this.webhooks.recentDeliveries(id, query.limit) };
  }
}
