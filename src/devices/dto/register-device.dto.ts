import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { MaxTextLength } from '../../common/validation.js';

export class RegisterDeviceDto {
  @ApiProperty({
    example: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
    description:
      'ios_app: the APNs device token as hex (64 to 200 characters). android_app: the FCM registration token. ' +
      "web_push: the browser's `JSON.stringify(subscription.toJSON())` (endpoint, expirationTime, keys.p256dh, keys.auth).",
  })
  @IsString()
  @MaxTextLength(1000)
  token: string;

  @ApiProperty({ example: 'ios_app', enum: ['ios_app', 'android_app', 'web_push'] })
  @IsString()
  @MaxTextLength(100)
  notification_service: string;
}
