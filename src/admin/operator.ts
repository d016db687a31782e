/**
 * Who acts through the admin API or the admin CLI: a service key with the `admin` scope (its id
 * and name), or an operator on the command line (`cli`, no key). Named in every audit line and in
 * the user's activity.
 */
export interface Operator {
  keyId: number | null;
  name: string;
}

export const CLI_OPERATOR: Operator = { keyId: null, name: 'cli' };

/** What an operator does to an account; also the `action` of the `admin_action` activity. */
export type AdminAction = 'disable' | 'enable' | 'end_sessions' | 'delete' | 'confirm' | 'send_reset';

/** The details of an `admin_action` event: the action and the key that did it. */
export function actionDetails(action: AdminAction | 'search' | 'show', operator: Operator) {
  return { action, key_id: operator.keyId, key_name: operator.name };
}
