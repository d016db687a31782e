import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Injectable,
  type NestInterceptor,
  Body,
  Controller,
  Delete,
  Get,
  Param,
  Patch,
  Put,
  Query,
  Req,
  Res,
  UploadedFile,
  UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { catchError, type Observable } from 'rxjs';
import {
  AllowUnconfirmed,
  type AuthUser,
  CurrentUser,
  OptionalUser,
  Public,
} from '../common/auth.decorators.js';
import { AppError } from '../common/errors.js';
import { PositiveIntPipe } from '../common/positive-int.pipe.js';
import { AVATAR_MAX_BYTES } from '../avatars/avatar-image.js';
import { AvatarsService } from '../avatars/avatars.service.js';
import { SearchUsersQuery, UpdateMeDto } from './dto/update-me.dto.js';
import { ProfileService } from './profile.service.js';

/** Multer's own limit errors, in the API's words: an avatar over 2 MB is `413 invalid_avatar`. */
@Injectable()
class AvatarUploadErrors implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof HttpException && error.getStatus() === 413) {
          throw new AppError('invalid_avatar', 'avatar must be at most 2 MB', { status: 413 });
        }
        if (error instanceof HttpException && error.getStatus() === 400) {
          throw new AppError(
            'invalid_avatar',
            'send one image as multipart/form-data in a field named "file"',
          );
        }
        throw error;
      }),
    );
  }
}

@ApiTags('profile')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  constructor(private readonly profile: ProfileService) {}

  @AllowUnconfirmed()
  @Get()
  @ApiOperation({ summary: 'My own record; the id is my JID (seed: me)' })
  async me(@CurrentUser() user: AuthUser) {
    return { user: await this.profile.me(user.userId) };
  }

  @AllowUnconfirmed()
  @Patch()
  @ApiOperation({ summary: 'Update my profile, all fields or none (seed: update_me)' })
  async update(@CurrentUser() user: AuthUser, @Body() dto: UpdateMeDto) {
    return { user: await this.profile.update(user.userId, user.sessionId, dto) };
  }

  @AllowUnconfirmed()
  @Put('avatar')
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiOperation({ summary: 'Upload my avatar as a file (field "file", at most 2 MB)' })
  @UseInterceptors(
    AvatarUploadErrors,
    FileInterceptor('file', { limits: { fileSize: AVATAR_MAX_BYTES, files: 1, fields: 0 } }),
  )
  async uploadAvatar(@CurrentUser() user: AuthUser, @UploadedFile() file: { buffer: Buffer } | undefined) {
    if (!file) {
      throw new AppError('invalid_avatar', 'send the image as multipart/form-data in a field named "file"');
    }
    return { user: await this.profile.setAvatarFile(user.userId, file.buffer) };
  }

  @AllowUnconfirmed()
  @Delete('avatar')
  @ApiOperation({ summary: 'Remove my avatar' })
  async removeAvatar(@CurrentUser() user: AuthUser) {
    return { user: await this.profile.removeAvatar(user.userId) };
  }
}

@ApiTags('profile')
@Controller('users')
export class UsersController {
  constructor(private readonly profile: ProfileService) {}

  @Public()
  @Get(':id')
  @ApiOperation({ summary: "A user's public record; with a token, as the caller sees it (seed: get_user)" })
  async user(@Param('id', PositiveIntPipe) id: number, @OptionalUser() viewer: AuthUser | null) {
    return { user: await this.profile.publicUser(id, viewer?.userId ?? null) };
  }

  @ApiBearerAuth()
  @Get()
  @ApiOperation({ summary: 'Find people by nick prefix (users with searchable_nick), at most 20' })
  async search(@CurrentUser() user: AuthUser, @Query() query: SearchUsersQuery) {
    return { users: await this.profile.search(query.nick, user.userId) };
  }
}

@ApiTags('profile')
@Controller('avatars')
export class AvatarsController {
  constructor(private readonly avatars: AvatarsService) {}

  @Public()
  @Get(':key')
  @ApiOperation({ summary: 'An avatar image: immutable under its key, cacheable for a year' })
  async avatar(@Param('key') key: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const image = await this.avatars.get(key);
    response.setHeader('ETag', image.etag);
    response.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    response.setHeader('Content-Type', image.contentType);
    // RFC 9110 §13.1.2: If-None-Match compares weakly and `*` matches any current image.
    const tags =
      request.headers['if-none-match']?.split(/\s*,\s*/).map((tag) => tag.replace(/^W\//, '')) ?? [];
    if (tags.includes(image.etag) || tags.includes('*')) {
      response.status(304).end();
      return;
    }
    response.status(200).end(image.data);
  }
}
