import {
  Body,
  Controller,
  Delete,
  Get,
  Patch,
  Put,
  Req,
  Res,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { AvatarUploadErrors } from '../avatars/avatar-upload-errors.interceptor.js';
import { AVATAR_MAX_BYTES } from '../avatars/avatar-image.js';
import { AllowUnconfirmed, type AuthUser, CurrentUser } from '../common/auth.decorators.js';
import { Client } from '../common/client-info.decorator.js';
import { sendWithETag } from '../common/conditional-get.js';
import { AppError } from '../common/errors.js';
import { UpdateMeDto } from './dto/update-me.dto.js';
import { ProfileService } from './profile.service.js';

@ApiTags('profile')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  constructor(private readonly profile: ProfileService) {}

  @AllowUnconfirmed()
  @Get()
  @ApiOperation({ summary: 'My own record; the id is my JID (seed: me)' })
  async me(@CurrentUser() user: AuthUser, @Req() request: Request, @Res() response: Response): Promise<void> {
    sendWithETag(request, response, { user: await this.profile.me(user.userId, user.sessionId) });
  }

  @AllowUnconfirmed()
  @Patch()
  @ApiOperation({ summary: 'Update my profile, all fields or none (seed: update_me)' })
  async update(@CurrentUser() user: AuthUser, @Body() dto: UpdateMeDto, @Client() client: ClientInfo) {
    return { user: await this.profile.update(user.userId, user.sessionId, dto, client) };
  }

  @AllowUnconfirmed()
  @Put('avatar')
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    required: true,
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary', description: 'The image, at most 2 MB.' } },
    },
  })
  @ApiOperation({ summary: 'Upload my avatar as a file (field "file", at most 2 MB)' })
  @UseInterceptors(
    AvatarUploadErrors,
    FileInterceptor('file', { limits: { fileSize: AVATAR_MAX_BYTES, files: 1, fields: 0 } }),
  )
  async uploadAvatar(@CurrentUser() user: AuthUser, @UploadedFile() file: { buffer: Buffer } | undefined) {
    if (!file) {
      throw new AppError('invalid_avatar', 'send the image as multipart/form-data in a field named "file"');
    }
    return { user: await this.profile.setAvatarFile(user.userId, user.sessionId, file.buffer) };
  }

  @AllowUnconfirmed()
  @Delete('avatar')
  @ApiOperation({ summary: 'Remove my avatar' })
  async removeAvatar(@CurrentUser() user: AuthUser) {
    return { user: await this.profile.removeAvatar(user.userId, user.sessionId) };
  }
}
