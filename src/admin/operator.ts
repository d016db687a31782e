import { type Operator } from '../service-keys/operator.js';

/** What an operator does to an account; also the `action` of the `admin_action` activity. */
export type AdminAction = 'disable' | 'enable' | 'end_sessions' | 'delete' | 'confirm' | 'send_reset';

/** The details of an `admin_action` event: the action and the key that did it. */
export function actionDetails(action: AdminAction | 'search' | 'show', operator: Operator) {
  return { action, key_id: operator.keyId, key_name: operator.name };
}
