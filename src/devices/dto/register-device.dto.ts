import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { MaxTextLength } from '../../common/validation.js';
import { ANY_TOKEN_PATTERN, MAX_TOKEN_LENGTH, NOTIFICATION_SERVICES } from '../device-token.js';

export class RegisterDeviceDto {
  @ApiProperty({
    example: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
    description:
      'ios_app: the APNs device token as hex (an even number of hexadecimal digits, 64 to 200). android_app: the FCM registration token. ' +
      "web_push: the browser's `JSON.stringify(subscription.toJSON())` (endpoint, expirationTime, keys.p256dh, keys.auth).",
    minLength: 1,
    maxLength: MAX_TOKEN_LENGTH,
    pattern: ANY_TOKEN_PATTERN,
  })
  @IsString()
  @MaxTextLength(MAX_TOKEN_LENGTH)
  token: string;

  @ApiProperty({ example: 'ios_app', enum: NOTIFICATION_SERVICES })
  @IsString()
  @MaxTextLength(100)
  notification_service: string;
}
