import { type ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateIf } from 'class-validator';
import { AppError } from './errors.js';

/**
 * The global pipe: unknown fields, wrong types and missing arguments are `invalid_params`,
 * never silently dropped (DESIGN §3).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new AppError('invalid_params', describe(errors)),
  });
}

function describe(errors: ValidationError[], parent = ''): string {
  const messages: string[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    for (const [rule, message] of Object.entries(error.constraints ?? {})) {
      messages.push(rule === 'whitelistValidation' ? `unknown field ${path}` : message);
    }
    if (error.children?.length) messages.push(describe(error.children, path));
  }
  return messages.join('; ') || 'invalid parameters';
}

/**
 * The field may be left out, but not sent as `null`: class-validator's `IsOptional` lets `null`
 * through to code that expects its type. (`PATCH /me` keeps `IsOptional`: there `null` means
 * "unchanged", DESIGN §3.)
 */
export const MayBeOmitted = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
