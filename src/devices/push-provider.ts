import type { NotificationService } from './device-token.js';
import type { PushMessage } from './push-messages.js';

/** What a push service's answer means for one device. */
export type PushVerdict =
  /** The service took the push. */
  | 'accepted'
  /** The token will never work again (APNs 410, FCM UNREGISTERED, a web push 404/410): forget it. */
  | 'dead_token'
  /** 429, 5xx, no answer at all: try again later, with back-off. */
  | 'retry'
  /** Our credentials are refused: every push fails alike until an operator fixes them. */
  | 'bad_key'
  /** Any other refusal: retrying would get the same answer. */
  | 'refused';

/** One device's answer: the verdict and what the service said (a status and reason, never the token). */
export interface PushAnswer {
  token: string;
  verdict: PushVerdict;
  detail: string;
}

/**
 * One push service (APNs, FCM, Web Push) behind the same few calls; PushService picks the provider
 * by a device's `notification_service` and applies the same rules to every answer.
 */
export interface PushProvider {
  readonly service: NotificationService;
  /** "APNs", "FCM", "Web Push": for log lines. */
  readonly name: string;
  /** False when the service is not configured: its devices get no pushes. */
  readonly enabled: boolean;
  /** First retry delay; doubles on each retry. */
  readonly retryBaseMs: number;
  /** What an operator should check when the service refuses our credentials. */
  readonly keyAdvice: string;
  /** Sends the message to each token at `now`; answers one PushAnswer per token, never throws. */
  send(message: PushMessage, tokens: string[], now: Date): Promise<PushAnswer[]>;
}
