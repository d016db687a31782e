import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString } from 'class-validator';
import { MaxTextLength } from '../../common/validation.js';
import { AVATAR_MAX_BYTES } from '../../avatars/avatar-image.js';
import { PASSWORD_DOCUMENTED } from '../../auth/password-policy.js';
import { EMAIL_MAX_LENGTH } from '../../users/email.js';
import { NICK_DOCUMENTED } from '../../users/nick.js';
import { LAST_SEEN_VISIBILITIES, type LastSeenVisibility } from '../../users/user.entity.js';

/** PATCH /me: a field that is missing or null is left unchanged. */
export class UpdateMeDto {
  @ApiPropertyOptional({ ...NICK_DOCUMENTED, nullable: true })
  @IsOptional()
  @IsString()
  @MaxTextLength(1000)
  nick?: string | null;

  @ApiPropertyOptional({
    ...PASSWORD_DOCUMENTED,
    nullable: true,
    description: `New password; needs current_password. ${PASSWORD_DOCUMENTED.description}`,
  })
  @IsOptional()
  @IsString()
  @MaxTextLength(1000)
  password?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 1000,
    description: 'Needed to change password or email.',
  })
  @IsOptional()
  @IsString()
  @MaxTextLength(1000)
  current_password?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'A data URL (data:image/<type>;base64,…) or an https URL of an image of at most 2 MB.',
    example:
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
    pattern: '^(?:data:image/[A-Za-z0-9.+-]+;base64,[A-Za-z0-9+/\\r\\n]+={0,2}|https://[^\\s]+)$',
    // The base64 of 2 MB and its prefix; the decoded image is what counts.
    maxLength: Math.ceil((AVATAR_MAX_BYTES + 2) / 3) * 4 + 100,
  })
  @IsOptional()
  @IsString()
  avatar?: string | null;

  @ApiPropertyOptional({
    type: Boolean,
    nullable: true,
    description: 'false hides the user from nick search.',
  })
  @IsOptional()
  @IsBoolean()
  searchable_nick?: boolean | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 256,
    description: 'Up to 256 characters; an empty string clears it.',
  })
  @IsOptional()
  @IsString()
  @MaxTextLength(256)
  status_message?: string | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 32,
    example: '+44 20 7946 0000',
    pattern: '^\\s*(?:\\+?[0-9][0-9 ().-]{2,30})?\\s*$',
    description: 'Digits with an optional leading +, spaces, dashes, dots and parentheses; empty clears it.',
  })
  @IsOptional()
  @IsString()
  @MaxTextLength(32)
  mobile_number?: string | null;

  @ApiPropertyOptional({
    // Null leaves it unchanged; OpenAPI 3.0 wants the null in the enum too.
    enum: [...LAST_SEEN_VISIBILITIES, null],
    nullable: true,
    description:
      'Who sees my exact last seen and online state: everyone, contacts (friends: mutual contacts) or nobody. ' +
      'Reciprocal: I see no exact last seen of someone I hide mine from; others get last_seen_hint instead. ' +
      'Anything else is invalid_params.',
  })
  @IsOptional()
  @IsIn(LAST_SEEN_VISIBILITIES, { message: 'last_seen_visibility must be everyone, contacts or nobody' })
  last_seen_visibility?: LastSeenVisibility | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    format: 'email',
    maxLength: EMAIL_MAX_LENGTH,
    description: 'New address: takes effect once confirmed from the mailed link; needs current_password.',
  })
  @IsOptional()
  @IsString()
  @MaxTextLength(1000)
  email?: string | null;
}
