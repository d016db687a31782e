import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { JWT } from 'google-auth-library';
import type { AppConfig, FcmConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';
import { type FcmError, fcmErrorCode, judgeFcmAnswer } from './fcm-answers.js';
import { PushHttp } from './push-http.js';
import type { PushAnswer, PushProvider } from './push-provider.js';
import type { PushMessage } from './push-messages.js';

const MESSAGING_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
/** The token endpoint google-auth-library posts to, whatever the service account says. */
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const SEND_TIMEOUT_MS = 10_000;
/** An access token with less time left than this is renewed before a send (Google's tokens last an hour). */
const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;
/** How long FCM keeps a push for a phone that is off before dropping it. */
const PUSH_TTL = '86400s';

/** The FCM HTTP v1 request body of one push to one registration token. */
export function fcmMessage(message: PushMessage, token: string): object {
  return {
    message: {
      token,
      notification: { title: message.title, body: message.body },
      // FCM's data values are strings only.
      data: { event: message.event, user_id: String(message.userId) },
      android: { collapse_key: message.collapseId, priority: 'high', ttl: PUSH_TTL },
    },
  };
}

/**
 * Android devices (`android_app`): Firebase Cloud Messaging HTTP v1, one HTTPS request per device,
 * authorised by an OAuth2 access token that google-auth-library gets for the service account
 * (a JWT-bearer assertion signed with its key) and reuses until it nearly expires. Off, with one
 * log line, without FCM_SERVICE_ACCOUNT_FILE.
 */
@Injectable()
export class FcmProvider implements PushProvider, OnModuleInit, OnApplicationShutdown {
  readonly service = 'android_app';
  readonly name = 'FCM';
  readonly keyAdvice = 'check FCM_SERVICE_ACCOUNT_FILE (its key, and that it may send for its project)';
  private readonly logger = new Logger('Push');
  private readonly config: FcmConfig | null;
  private client: JWT | null = null;
  private readonly http = new PushHttp({ timeoutMs: SEND_TIMEOUT_MS });

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.config = config.fcm;
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  get retryBaseMs(): number {
    return this.config?.retryBaseMs ?? 1000;
  }

  onModuleInit(): void {
    if (!this.config) {
      this.logger.log('Android push is off: set FCM_SERVICE_ACCOUNT_FILE to send to Android devices');
      return;
    }
    this.client = accessTokens(this.config);
    this.logger.log(
      `push through FCM at ${this.config.endpoint}, project ${this.config.projectId}, as ${this.config.clientEmail}`,
    );
  }

  async send(message: PushMessage, tokens: string[]): Promise<PushAnswer[]> {
    let accessToken: string;
    try {
      accessToken = (await (this.client as JWT).getAccessToken()).token as string;
    } catch (error) {
      // The token endpoint refused our assertion (4xx), or could not be reached.
      const status = (error as { response?: { status?: number } }).response?.status;
      const verdict = status !== undefined && status >= 400 && status < 500 ? 'bad_key' : 'retry';
      const detail = `no access token: ${status ?? ''} ${(error as Error).message}`.replace('  ', ' ');
      return tokens.map((token) => ({ token, verdict, detail }));
    }
    return Promise.all(tokens.map((token) => this.sendOne(message, token, accessToken)));
  }

  onApplicationShutdown(): void {
    this.http.close();
  }

  private async sendOne(message: PushMessage, token: string, accessToken: string): Promise<PushAnswer> {
    const config = this.config as FcmConfig;
    let answer: { status: number; body: string };
    try {
      answer = await this.http.post(
        new URL(`${config.endpoint}/v1/projects/${config.projectId}/messages:send`),
        { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        JSON.stringify(fcmMessage(message, token)),
      );
    } catch (error) {
      return {
        token,
        verdict: 'retry',
        detail: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
      };
    }
    const ok = answer.status >= 200 && answer.status < 300;
    const error = ok ? null : readError(answer.body);
    const verdict = judgeFcmAnswer(answer.status, error);
    return {
      token,
      verdict,
      detail: `${answer.status}${error ? ` ${fcmErrorCode(error) ?? ''}` : ''}`.trim(),
    };
  }
}

/**
 * google-auth-library's service account client. It always posts its assertion to Google's token
 * endpoint; a service account naming another `token_uri` (a test server) is honoured by sending
 * that request there, and by naming it as the assertion's audience, as Google's own does.
 */
function accessTokens(config: FcmConfig): JWT {
  const client = new JWT({
    email: config.clientEmail,
    key: config.privateKey,
    keyId: config.privateKeyId ?? undefined,
    scopes: [MESSAGING_SCOPE],
    additionalClaims: { aud: config.tokenUri },
    eagerRefreshThresholdMillis: RENEW_BEFORE_EXPIRY_MS,
  });
  if (config.tokenUri !== GOOGLE_TOKEN_URI) {
    client.transporter.interceptors.request.add({
      resolved: (options) => {
        if (options.url.href === GOOGLE_TOKEN_URI) options.url = new URL(config.tokenUri);
        return Promise.resolve(options);
      },
    });
  }
  return client;
}

function readError(body: string): FcmError | null {
  try {
    return (JSON.parse(body) as { error?: FcmError }).error ?? null;
  } catch {
    return null;
  }
}
