import { LRUCache } from 'lru-cache';
import { JsonAnswer } from '../common/conditional-get.js';

/**
 * Bytes of answers kept (of one route): ~1,000 viewers' 50-user batches (~7 KB each). The texts
 * they were written from are kept with them, mostly shared with PublicRecordTexts: at most as much
 * again.
 */
const MAX_BYTES = 8 * 1024 * 1024;

/**
 * The last `{"users": […]}` answer each viewer was sent (of one route), kept with the record texts
 * (PublicRecordTexts) it was written from, and sent again while a request's texts are the very
 * same: a contact list asked for again and again is joined, encoded and hashed for its ETag once.
 * Compared text by text, the kept answer is exactly what would be written anew, so it needs no
 * invalidation: any change a viewer may see (a user's fields, presence, a block, last-seen privacy,
 * a hint's age) makes another text, and the answer is written again.
 */
export class AnswerMemo {
  private readonly answers = new LRUCache<number, { texts: readonly string[]; answer: JsonAnswer }>({
    maxSize: MAX_BYTES,
    sizeCalculation: (kept) => kept.answer.bytes.length,
  });

  answer(viewerId: number, texts: readonly string[]): JsonAnswer {
    const last = this.answers.get(viewerId);
    if (last && sameTexts(last.texts, texts)) return last.answer;
    const answer = new JsonAnswer(`{"users":[${texts.join(',')}]}`);
    this.answers.set(viewerId, { texts, answer });
    return answer;
  }
}

/** Mostly the very same strings (PublicRecordTexts keeps them), which compare at once. */
function sameTexts(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((text, index) => text === b[index]);
}
