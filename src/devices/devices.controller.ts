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
      'Register a device for pushes (seed: devise_token): an iOS or Android token, or a browser push subscription; 201 when new or moved from another user, 200 when already mine',
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
  @ApiOperation({
    summary:
      'Forget one of my devices (seed: remove_devise_token): a phone by its token, a browser by its endpoint',
  })
  async remove(@CurrentUser() user: AuthUser, @Param('token') token: string) {
    await this.devices.remove(user.userId, token);
    return { result: true };
  }

  @Post('test-push')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Push a test notification to all my devices; answers how many their push services accepted',
  })
  test(@CurrentUser() user: AuthUser) {
    return this.push.test(user.userId);
  }
}
