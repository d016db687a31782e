import { Injectable, type PipeTransform } from '@nestjs/common';
import { AppError } from './errors.js';

/** The largest id a row can have: ids are 32-bit `integer` columns on PostgreSQL and SQLite alike. */
export const MAX_ID = 2_147_483_647;

/**
 * A path id: a positive integer up to MAX_ID, else `invalid_params` (DESIGN §4). A larger one
 * would make PostgreSQL refuse the query itself.
 */
@Injectable()
export class PositiveIntPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^[1-9]\d{0,9}$/.test(value) || Number(value) > MAX_ID) {
      throw new AppError('invalid_params', `id must be a positive integer up to ${MAX_ID}`);
    }
    return Number(value);
  }
}
