import { SecurityEvent } from '../account/security-event.entity.js';
import { EmailToken } from '../auth/email-token.entity.js';
import { Block } from '../blocking/block.entity.js';
import { OutboxMail } from '../mail/outbox-mail.entity.js';
import { AvatarImage } from '../profile/avatar.entity.js';
import { Device } from '../devices/device.entity.js';
import { Contact } from '../profile/contact.entity.js';
import { QrLogin } from '../qr-login/qr-login.entity.js';
import { Session } from '../tokens/session.entity.js';
import { SseCode } from '../tokens/sse-code.entity.js';
import { User } from '../users/user.entity.js';

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
  SecurityEvent,
];
