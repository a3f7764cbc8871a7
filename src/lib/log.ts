/**
 * One JSON line per event. Event names are `noun.verb`. Callers never pass secrets, keys or
 * signed URLs; `redact` is the last line of defence for fields that are named like secrets.
 */
type Level = "debug" | "info" | "warn" | "error";
const SECRET_KEY = /(secret|token|password|authorization|api[-_]?key|signature|headers)/i;

function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_KEY.test(k) ? "[redacted]" : v;
  return out;
}

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
let threshold = RANK.info;

/** From LOG_LEVEL; lines below it are not written. */
export function setLogLevel(level: Level) {
  threshold = RANK[level];
}

function emit(level: Level, event: string, fields: Record<string, unknown> = {}) {
  if (RANK[level] < threshold) return;
  const line = JSON.stringify({ level, event, ...redact(fields) });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export const log = {
  debug: (event: string, fields?: Record<string, unknown>) => emit("debug", event, fields),
  info: (event: string, fields?: Record<string, unknown>) => emit("info", event, fields),
  warn: (event: string, fields?: Record<string, unknown>) => emit("warn", event, fields),
  error: (event: string, fields?: Record<string, unknown>) => emit("error", event, fields),
};

export function errorFields(e: unknown): Record<string, unknown> {
  if (e instanceof Error) return { error: e.message, errorName: e.name };
  return { error: String(e) };
}
