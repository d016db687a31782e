import { Initial1763900000000 } from './1763900000000-initial.js';

/** Every migration, oldest first. Modules add theirs here (one file each, never edited once landed). */
export const MIGRATIONS = [Initial1763900000000];
