import { Injectable, type PipeTransform } from '@nestjs/common';
import { AppError } from './errors.js';

/** A path id: a positive integer, else `invalid_params` (DESIGN §4). */
@Injectable()
export class PositiveIntPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^[1-9]\d{0,14}$/.test(value)) throw new AppError('invalid_params', `id must be a positive integer`);
    return Number(value);
  }
}
