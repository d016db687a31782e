/**
 * What the record views need from modules that sit above users/ (presence, blocking). Those
 * modules register themselves with UserRecordsService at start-up, so the dependency graph only
 * points one way: presence -> users, blocking -> users, contacts -> users.
 */
export interface PresenceSource {
  /** Of these users, the ones with at least one open stream on any instance. */
  onlineAmong(userIds: number[]): Promise<Set<number>>;
}

export interface BlockSource {
  /** Of these owners, the ones who blocked the viewer. */
  ownersBlockingViewer(ownerIds: number[], viewerId: number): Promise<Set<number>>;
}

export interface FriendSource {
  /** Of these users, the friends of `userId` (mutual contacts with no block either way). */
  friendsAmong(userId: number, ids: number[]): Promise<Set<number>>;
}
