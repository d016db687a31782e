import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { redactUrl } from '../logging.js';
import { allowedMethods, methodNotAllowed } from './allowed-methods.js';
import { AppError, ERROR_CODES, type ErrorBody, type ErrorCode } from './errors.js';

// Errors of the database or Redis connection that mean "try again later", not "bug".
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08003',
  '08006',
  'SQLITE_BUSY',
]);

/** Writes every failure as `{error: {code, text}}`; never a stack trace in a body. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request & { id?: string }>();
    const allow = routeMiss(exception) ? allowedMethods(request) : [];
    const error = allow.length > 0 ? methodNotAllowed(request, allow) : this.toAppError(exception);
    // A device token can be in the path: logged as the request line logs it.
    const path = redactUrl(request?.path);

    if (exception instanceof AppError && error.status >= 500) {
      // Said on purpose by our code (push is off, the database is down): a line, not a trace.
      this.logger.warn(`${error.code} on ${request?.method} ${path}: ${error.message}`);
    } else if (error.status >= 500) {
      this.logger.error(
        { err: loggable(exception), requestId: request?.id, path },
        `${error.code} on ${request?.method} ${path}`,
      );
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    const body: ErrorBody = { error: { ...error.fields, code: error.code, text: error.message } };
    if (error.retryAfter !== undefined) {
      body.error.retry_after = error.retryAfter;
      response.setHeader('Retry-After', String(error.retryAfter));
    }
    if (error.status >= 500 && request?.id !== undefined) body.error.request_id = String(request.id);
    if (allow.length > 0) response.setHeader('Allow', allow.join(', '));
    response.status(error.status).json(body);
  }

  private toAppError(exception: unknown): AppError {
    if (exception instanceof AppError) return exception;
    // Express's adapter wraps body-parser's errors; the text of the original repeats the body.
    const fromBodyParser = bodyParserError(exception instanceof HttpException ? exception.cause : exception);
    if (fromBodyParser) return fromBodyParser;
    if (exception instanceof HttpException) return fromHttpException(exception);
    const err = exception as {
      type?: string;
      status?: number;
      code?: string;
      driverError?: { code?: string };
    };
    // multer's errors arrive as plain errors with a status.
    if (err?.status === 413) return new AppError('payload_too_large');
    const code = err?.code ?? err?.driverError?.code;
    if (code !== undefined && UNAVAILABLE_CODES.has(code)) return new AppError('unavailable');
    if (isConnectionError(exception)) return new AppError('unavailable');
    return new AppError('internal_error');
  }
}

/** The framework's answer to a request no route took (a path it does not know, or a method). */
function routeMiss(exception: unknown): boolean {
  return exception instanceof NotFoundException;
}

/** body-parser's errors, known by their type. */
function bodyParserError(error: unknown): AppError | null {
  const type = (error as { type?: unknown } | undefined)?.type;
  if (type === 'entity.too.large') return new AppError('payload_too_large');
  if (type === 'entity.parse.failed') return new AppError('invalid_params', 'request body is not valid JSON');
  if (type === 'encoding.unsupported')
    return new AppError('invalid_params', 'unsupported request body encoding');
  if (type === 'charset.unsupported') return new AppError('invalid_params', 'the request body must be UTF-8');
  if (type === 'entity.verify.failed')
    return new AppError('invalid_params', 'the request body is not valid UTF-8');
  return null;
}

/** An error as it may be logged: a failed query keeps its message and code, never its parameters. */
function loggable(exception: unknown): unknown {
  if (!(exception instanceof Error) || !('parameters' in exception || 'driverError' in exception))
    return exception;
  const { driverError } = exception as { driverError?: { code?: string } };
  return {
    type: exception.name,
    message: exception.message,
    code: driverError?.code,
    stack: exception.stack,
  };
}

function isConnectionError(exception: unknown): boolean {
  const message = exception instanceof Error ? exception.message : '';
  return /Connection is closed|connect ECONNREFUSED|Connection terminated|MaxRetriesPerRequest|Query read timeout|timeout exceeded when trying to connect|Command timed out|Command aborted due to connection close|Socket timeout/i.test(
    message,
  );
}

function fromHttpException(exception: HttpException): AppError {
  const status = exception.getStatus();
  if (status === 404) return new AppError('not_found', 'no such route');
  if (status === 413) return new AppError('payload_too_large');
  if (status === 401 || status === 403) return new AppError('unauthorized');
  if (status >= 400 && status < 500) {
    const response = exception.getResponse() as { message?: string | string[] } | string;
    const message = typeof response === 'string' ? response : response.message;
    return new AppError('invalid_params', Array.isArray(message) ? message.join('; ') : message, {
      status: 400,
    });
  }
  const code: ErrorCode = status === 503 ? 'unavailable' : 'internal_error';
  return new AppError(code, ERROR_CODES[code].text);
}
