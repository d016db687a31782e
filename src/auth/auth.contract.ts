import type { SchemaObject } from '@nestjs/swagger';
import type { ApiContract, RpcMethodContract } from '../common/openapi/contract.js';
import { closed, ref } from '../common/openapi/schemas.js';
import {
  CredentialsDto,
  EmailDto,
  LogoutDto,
  RegisterDto,
  ResetPasswordDto,
  SECOND_FACTOR_CODE,
} from './dto/auth.dto.js';

const EMAIL_PASSWORD = { email: 'ann@example.com', password: 'Correct-horse-42' };

/** How a caller proves who they are (login here, an access token in sessions/). */
export const CREDENTIALS_SCHEMA: SchemaObject = {
  description: 'Either email and password, or the auth token of an earlier login; never both.',
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['email', 'password'],
      properties: {
        email: {
          type: 'string',
          maxLength: 1000,
          description: 'An email address; international letters are allowed.',
        },
        password: { type: 'string', maxLength: 1000 },
        code: {
          type: 'string',
          minLength: SECOND_FACTOR_CODE.minLength,
          maxLength: SECOND_FACTOR_CODE.maxLength,
          description:
            'For an account with two-step login: its code (six digits from the app, or a recovery code) in the same request, which then answers the login at once instead of `mfa_required`; a wrong one is `invalid_mfa_code`. An account without two-step login ignores it.',
        },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['auth_token'],
      properties: {
        auth_token: { type: 'string', maxLength: 200, description: 'The `auth_token` of an earlier login.' },
      },
    },
  ],
};
export const CREDENTIALS_EXAMPLES = {
  password: { summary: 'By email and password', value: EMAIL_PASSWORD },
  password_and_code: {
    summary: 'By email, password and the code of two-step login, in one request',
    value: { ...EMAIL_PASSWORD, code: '123456' },
  },
  auth_token: { summary: 'By the auth token of an earlier login', value: { auth_token: 'q2Lx…' } },
};

export const AUTH_RPC = {
  register: { rest: 'POST /auth/register', access: 'public', dto: RegisterDto },
  resend_confirmation: { rest: 'POST /auth/resend-confirmation', access: 'public', dto: EmailDto },
  request_password_reset: { rest: 'POST /auth/password-reset/request', access: 'public', dto: EmailDto },
  reset_password: { rest: 'POST /auth/password-reset', access: 'public', dto: ResetPasswordDto },
  login: { rest: 'POST /auth/login', access: 'public', dto: CredentialsDto },
  logout: { rest: 'POST /auth/logout', access: 'user', dto: LogoutDto },
} satisfies Record<string, RpcMethodContract>;

export const AUTH_CONTRACT: ApiContract = {
  operations: {
    'POST /auth/register': {
      status: 201,
      body: 'RegisterAnswer',
      errors: ['invalid_email', 'registration_error', 'invalid_nick', 'please_wait'],
      conflict: ['invalid_email', 'invalid_nick'],
      requestExamples: {
        plain: { summary: 'An account', value: { ...EMAIL_PASSWORD, nick: 'Annie' } },
        auto_login: {
          summary: 'An account, logged in at once',
          value: { ...EMAIL_PASSWORD, auto_login: true },
        },
      },
    },
    'GET /auth/confirm': {
      status: 302,
      body: 'Empty',
      description:
        "Always a redirect to the application's root URL: `?email_confirmed=1`, `?error=invalid_token` (unknown, used or expired) or `?error=invalid_email` (the address was taken meanwhile).",
      params: {
        token: { in: 'query', required: true, type: 'string', description: 'The token of the mailed link.' },
      },
      headers: {
        Location: { description: 'Where the browser goes.', schema: { type: 'string', format: 'uri' } },
      },
    },
    'POST /auth/resend-confirmation': { status: 200, body: 'Empty', errors: ['please_wait'] },
    'POST /auth/password-reset/request': {
      status: 200,
      body: 'Empty',
      errors: ['invalid_email', 'rate_exceeded'],
    },
    'POST /auth/password-reset': { status: 200, body: 'Empty', errors: ['invalid_token', 'weak_password'] },
    'POST /auth/login': {
      status: 200,
      body: 'LoginAnswer',
      errors: ['auth_failed', 'mfa_required', 'invalid_mfa_code', 'account_disabled', 'please_wait'],
      description:
        'With two-step login on, a right password answers `401 mfa_required` with an `mfa_token` in the error: send it with a code to `POST /auth/login/mfa`. Or send the code with the password (`code`), and one request logs in.',
      requestSchema: CREDENTIALS_SCHEMA,
      requestExamples: CREDENTIALS_EXAMPLES,
    },
    'POST /auth/logout': { status: 200, body: 'Empty' },
  },
  schemas: {
    LoginAnswer: closed({
      user: ref('OwnUser'),
      access_token: { type: 'string' },
      token_type: { type: 'string', enum: ['Bearer'] },
      expires_in: { type: 'integer', minimum: 1 },
    }),
    RegisterAnswer: {
      ...closed(
        {
          user: ref('OwnUser'),
          access_token: { type: 'string' },
          token_type: { type: 'string', enum: ['Bearer'] },
          expires_in: { type: 'integer', minimum: 1 },
        },
        ['user'],
      ),
      description: 'With `auto_login` also the access token of the new session (and `user.auth_token`).',
    },
  },
  rpcMethods: AUTH_RPC,
};
