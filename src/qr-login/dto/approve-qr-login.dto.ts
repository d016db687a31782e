import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class ApproveQrLoginDto {
  @ApiProperty({ description: 'The key from the scanned `uri` (unichat://qr-login?id=…&key=…).' })
  @IsString()
  @MaxLength(200)
  key: string;
}
