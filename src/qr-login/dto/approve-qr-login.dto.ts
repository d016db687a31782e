import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { MaxTextLength } from '../../common/validation.js';

export class ApproveQrLoginDto {
  @ApiProperty({
    description: 'The key from the scanned `uri` (unichat://qr-login?id=…&key=…).',
    maxLength: 200,
  })
  @IsString()
  @MaxTextLength(200)
  key: string;

  @ApiProperty({
    description:
      'The two digits the browser page shows beside the QR code (`check` of POST /auth/qr). A wrong ' +
      'one voids the code: the browser hears `qr_expired` with reason `wrong_check`.',
    example: '07',
    pattern: '^[0-9]{2}$',
  })
  @IsString()
  @Matches(/^[0-9]{2}$/, { message: 'check must be the two digits the browser shows' })
  check: string;
}
