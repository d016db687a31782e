import {
  type CallHandler,
  type ExecutionContext,
  HttpException,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, type Observable } from 'rxjs';
import { AppError } from '../common/errors.js';

/** Multer's own limit errors, in the API's words: an avatar over 2 MB is `413 invalid_avatar`. */
@Injectable()
export class AvatarUploadErrors implements NestInterceptor {
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
