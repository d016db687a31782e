import { Injectable, type PipeTransform } from '@nestjs/common';
import { AppError } from './errors.js';
import { MAX_ID, parseId } from './ids.js';

/**
 * A path id (see parseId), else `invalid_params`. It reads the text as sent: the global pipe
 * leaves path values alone (a number here would mean something already converted it).
 */
@Injectable()
export class PositiveIntPipe implements PipeTransform<unknown, number> {
  transform(value: unknown): number {
    const id = typeof value === 'string' ? parseId(value) : null;
    if (id === null) throw new AppError('invalid_params', `id must be a positive integer up to ${MAX_ID}`);
    return id;
  }
}
