import { EmailToken } from '../auth/email-token.entity.js';
import { OutboxMail } from '../mail/outbox-mail.entity.js';
import { Session } from '../tokens/session.entity.js';
import { User } from '../users/user.entity.js';

/** Every entity of every module: the list the data source and the CLI share. */
export const ENTITIES = [User, Session, EmailToken, OutboxMail];
