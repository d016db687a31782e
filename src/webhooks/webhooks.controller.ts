import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { PositiveIntPipe } from '../common/positive-int.pipe.js';
import { ServiceScope } from '../service-keys/service-scope.decorator.js';
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
  create(@Body() dto: CreateWebhookEndpointDto) {
    return this.webhooks.create(dto);
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
  async update(@Param('id', PositiveIntPipe) id: number, @Body() dto: UpdateWebhookEndpointDto) {
    return { endpoint: await this.webhooks.update(id, dto) };
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove a webhook endpoint and its deliveries' })
  async remove(@Param('id', PositiveIntPipe) id: number) {
    await this.webhooks.remove(id);
    return {};
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new signing secret, answered once; the old one also signs for 24 hours' })
  rotateSecret(@Param('id', PositiveIntPipe) id: number) {
    return this.webhooks.rotateSecret(id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a `webhook.test` event to this endpoint now' })
  async test(@Param('id', PositiveIntPipe) id: number) {
    const delivery = await this.webhooks.sendTest(id);
    this.sender.kick();
    return { delivery };
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'The latest deliveries to this endpoint, newest first, with status and times' })
  async deliveries(@Param('id', PositiveIntPipe) id: number, @Query() query: WebhookDeliveriesQueryDto) {
    return { deliveries: await this.webhooks.recentDeliveries(id, query.limit) };
  }
}
