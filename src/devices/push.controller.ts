import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth.decorators.js';
import { WebPushProvider } from './web-push.provider.js';

@ApiTags('devices')
@Controller('push')
export class PushController {
  constructor(private readonly webPush: WebPushProvider) {}

  @Public()
  @Get('vapid-public-key')
  @ApiOperation({
    summary: "The VAPID public key a browser subscribes with (PushManager.subscribe's applicationServerKey)",
  })
  vapidPublicKey() {
    return { public_key: this.webPush.publicKey };
  }
}
