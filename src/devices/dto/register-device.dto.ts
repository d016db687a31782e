import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { MaxTextLength } from '../../common/validation.js';
import { DEVICE_TOKEN_PATTERN, NOTIFICATION_SERVICES } from '../device-token.js';

export class RegisterDeviceDto {
  @ApiProperty({
    example: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
    description:
      'The APNs device token as hex: an even number of hexadecimal digits, 64 today, up to 200 accepted for longer future tokens.',
    pattern: DEVICE_TOKEN_PATTERN,
  })
  @IsString()
  @MaxTextLength(1000)
  token: string;

  @ApiProperty({ example: 'ios_app', enum: NOTIFICATION_SERVICES, description: 'Only `ios_app` for now.' })
  @IsString()
  @MaxTextLength(100)
  notification_service: string;
}
