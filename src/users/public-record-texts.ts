import { type PublicView, publicRecordIn } from './user-records.js';
import { type User } from './user.entity.js';

/**
 * Public records as JSON text, kept per user object and view (`publicView`): a batch of 50 users
 * built and serialised 50 records on each request.
 *
 * Keyed by the user object itself, not by the id, so a text never outlives the row it was written
 * from and needs no invalidation of its own: a user UsersService's cache holds is never changed
 * (readers get copies, or the object as read-only), and every change a record shows replaces it
 * there (UsersService.changed: at once on this instance, on the others when `users.changed` reaches
 * them), so the texts are exactly as fresh as the user cache. What varies from request to request
 * (presence, blocks, last-seen privacy and friendship, the time a hint is reckoned from) only
 * chooses the view, and is read on each request as before. A user the cache lets go takes its
 * texts with it (a WeakMap).
 */
export class PublicRecordTexts {
  private readonly texts = new WeakMap<Readonly<User>, Map<PublicView, string>>();

  constructor(private readonly publicUrl: string) {}

  /** `JSON.stringify` of the user's public record in this view. */
  text(user: Readonly<User>, view: PublicView): string {
    let byView = this.texts.get(user);
    if (!byView) {
      byView = new Map();
      this.texts.set(user, byView);
    }
    let text = byView.get(view);
    if (text === undefined) {
      text = JSON.stringify(publicRecordIn(user, view, this.publicUrl));
      byView.set(view, text);
    }
    return text;
  }
}
