import { type ArgumentMetadata, type ValidationError, ValidationPipe } from '@nestjs/common';
import { buildMessage, ValidateBy, ValidateIf } from 'class-validator';
import { AppError } from './errors.js';

/**
 * Nest's pipe, except that path and query values reach a route as the client wrote them. Nest
 * would turn a value for a `number` parameter into `+value`, which reads `0x10`, `1e1`, `016`,
 * `+16` and ` 16` as 16 before the route's own pipe (PositiveIntPipe) sees it.
 */
class StrictValidationPipe extends ValidationPipe {
  protected override transformPrimitive(value: unknown, _metadata: ArgumentMetadata): unknown {
    return value;
  }
}

/**
 * The global pipe: unknown fields, wrong types and missing arguments are `invalid_params`,
 * never silently dropped.
 */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
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
 * "unchanged".)
 */
export const MayBeOmitted = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/**
 * At most `max` UTF-16 code units, so at most `max` characters in a varchar column. class-validator's
 * MaxLength does not count variation selectors (validator.js), so 400 characters of `a\uFE0F` got
 * past a limit of 256 and overflowed the column on PostgreSQL.
 */
export function MaxTextLength(max: number): PropertyDecorator {
  return ValidateBy({
    name: 'maxTextLength',
    constraints: [max],
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || value.length <= max,
      defaultMessage: buildMessage((each) => `${each}$property must be at most $constraint1 characters`),
    },
  });
}
