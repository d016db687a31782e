import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { MaxTextLength } from '../../common/validation.js';

export class ApproveQrLoginDto {
  @ApiProperty({ description: 'The key from the scanned `uri` (unichat://qr-login?id=…&key=…).' })
  @IsString()
  @MaxTextLength(200)
  key: string;
}
