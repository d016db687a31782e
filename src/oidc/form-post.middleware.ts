import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import { AppError } from '../common/errors.js';

const FORM_LIMIT = 16 * 1024;

/**
 * Reads an `application/x-www-form-urlencoded` body, as a provider posts its answer back with
 * `response_mode=form_post` (Sign in with Apple does), into a plain object. Only the callback
 * route takes it: every other route takes JSON alone.
 */
@Injectable()
export class FormPostMiddleware implements NestMiddleware {
  use(
    request: IncomingMessage & { body?: unknown },
    _response: ServerResponse,
    next: (error?: unknown) => void,
  ) {
    const type = request.headers['content-type'] ?? '';
    if (!/^application\/x-www-form-urlencoded\b/i.test(type) || request.body !== undefined) return next();
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > FORM_LIMIT) {
        request.removeAllListeners('data');
        next(new AppError('payload_too_large'));
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > FORM_LIMIT) return;
      request.body = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      next();
    });
    request.on('error', next);
  }
}
