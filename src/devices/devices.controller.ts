import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type AuthUser, CurrentUser } from '../common/auth.decorators.js';
import { DevicesService } from './devices.service.js';
import { RegisterDeviceDto } from './dto/register-device.dto.js';
import { PushService } from './push.service.js';

@ApiTags('devices')
@ApiBearerAuth()
@Controller('devices')
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    private readonly push: PushService,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'Register an iOS device token (seed: devise_token): 201 when new or moved from another user, 200 when already mine',
  })
  async register(
    @CurrentUser() user: AuthUser,
    @Body() dto: RegisterDeviceDto,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { device, created } = await this.devices.register(user.userId, dto.token, dto.notification_service);
    response.status(created ? 201 : 200);
    return { device };
  }

  @Get()
  @ApiOperation({ summary: 'My devices' })
  async list(@CurrentUser() user: AuthUser) {
    return { devices: await this.devices.list(user.userId) };
  }

  @Delete(':token')
  @HttpCode(200)
  @ApiOperation({ summary: 'Forget one of my device tokens (seed: remove_devise_token)' })
  async remove(@CurrentUser() user: AuthUser, @Param('token') token: string) {
    await this.devices.remove(user.userId, token);
    return { result: true };
  }

  @Post('test-push')
  @HttpCode(200)
  @ApiOperation({ summary: 'Push a test notification to all my devices; answers how many APNs accepted' })
  test(@CurrentUser() user: AuthUser) {
    return this.push.test(user.userId);
  }
}
