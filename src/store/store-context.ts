/** What every query module of the Kysely store is given: the database and its dialect. */
import type { Kysely } from 'kysely';
import type { Database, StoreDialect } from './schema.js';

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: StoreDialect;
}
