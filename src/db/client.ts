import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

const make = (d1: D1Database) => drizzle(d1, { schema });
export type Db = ReturnType<typeof make>;

// Building a drizzle instance walks the whole schema (its relational config): once per binding, not per request.
const cache = new WeakMap<D1Database, Db>();
export const db = (d1: D1Database): Db => {
  let d = cache.get(d1);
  if (!d) cache.set(d1, (d = make(d1)));
  return d;
};
