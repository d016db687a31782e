import { SecurityEvent } from '../account/security-event.entity.js';
import { EmailToken } from '../auth/email-token.entity.js';
import { Block } from '../blocking/block.entity.js';
import { OutboxMail } from '../mail/outbox-mail.entity.js';
import { AvatarImage } from '../avatars/avatar.entity.js';
import { Device } from '../devices/device.entity.js';
import { Contact } from '../contacts/contact.entity.js';
import { MfaChallenge, RecoveryCode, TotpFactor } from '../mfa/second-factor.entity.js';
import { Passkey, PasskeyChallenge } from '../passkeys/passkey.entity.js';
import { Identity } from '../oidc/identity.entity.js';
import { OidcPending } from '../oidc/oidc-pending.entity.js';
import { QrLogin } from '../qr-login/qr-login.entity.js';
import { ServiceKey } from '../service-keys/service-key.entity.js';
import { Session } from '../sessions/session.entity.js';
import { SigningKey } from '../signing-keys/signing-key.entity.js';
import { SseCode } from '../sse/sse-code.entity.js';
import { EventIdEpoch } from '../sse/event-id-epoch.entity.js';
import { User } from '../users/user.entity.js';
import { WebhookDelivery } from '../webhooks/webhook-delivery.entity.js';
import { WebhookEndpoint } from '../webhooks/webhook-endpoint.entity.js';

/** Every entity of every module: the list the data source and the CLI share. */
export const ENTITIES = [
  User,
  Session,
  EmailToken,
  OutboxMail,
  AvatarImage,
  Contact,
  Block,
  Device,
  SseCode,
  QrLogin,
  EventIdEpoch,
  SecurityEvent,
  TotpFactor,
  RecoveryCode,
  MfaChallenge,
  Passkey,
  PasskeyChallenge,
  Identity,
  OidcPending,
  ServiceKey,
  SigningKey,
  WebhookEndpoint,
  WebhookDelivery,
];
