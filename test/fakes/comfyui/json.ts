// Python-compatible JSON: ComfyUI answers with `json.dumps` defaults, so byte-exact fakes need
// Python's separators, `\uXXXX` escapes, float reprs (`1.0`, `1e+16`) and insertion-ordered keys.
// JS objects reorder integer-like keys ("10" before "2"), and node ids are exactly such keys, so
// parsed objects are Maps and every node-keyed structure the fake builds is a Map as well.

/** A number that Python holds as `float`: printed with a fraction or exponent (`5.0`, `1e-05`). */
export class PyFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyFloat
  | PyValue[]
  | Map<string, PyValue>
  | { [key: string]: PyValue | undefined };

export type PyDict = Map<string, PyValue>;

export function isDict(v: unknown): v is PyDict {
  return v instanceof Map;
}

export function od(...pairs: [string, PyValue][]): PyDict {
  return new Map(pairs);
}

export class JsonParseError extends Error {}

/** `json.loads`: floats become PyFloat, big ints BigInt, objects Maps; NaN/Infinity accepted. */
export function parseJson(text: string): PyValue {
  let i = 0;
  const n = text.length;
  const fail = (msg: string): never => {
    throw new JsonParseError(`${msg} at char ${i}`);
  };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const value = (): PyValue => {
    ws();
    if (i >= n) fail("Expecting value");
    const c = text[i];
    if (c === "{") {
      i++;
      const m: PyDict = new Map();
      ws();
      if (text[i] === "}") {
        i++;
        return m;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("Expecting property name enclosed in double quotes");
        const k = str();
        ws();
        if (text[i] !== ":") fail("Expecting ':' delimiter");
        i++;
        m.set(k, value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return m;
        }
        fail("Expecting ',' delimiter");
      }
    }
    if (c === "[") {
      i++;
      const a: PyValue[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return a;
        }
        fail("Expecting ',' delimiter");
      }
    }
    if (c === '"') return str();
    if (text.startsWith("true", i)) return (i += 4), true;
    if (text.startsWith("false", i)) return (i += 5), false;
    if (text.startsWith("null", i)) return (i += 4), null;
    if (text.startsWith("NaN", i)) return (i += 3), new PyFloat(NaN);
    if (text.startsWith("Infinity", i)) return (i += 8), new PyFloat(Infinity);
    if (text.startsWith("-Infinity", i)) return (i += 9), new PyFloat(-Infinity);
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail("Expecting value");
    i += m[0].length;
    if (m[1] !== undefined || m[2] !== undefined) return new PyFloat(Number(m[0]));
    const num = Number(m[0]);
    return Number.isSafeInteger(num) ? num : BigInt(m[0]);
  };
  const str = (): string => {
    i++;
    let out = "";
    for (;;) {
      if (i >= n) fail("Unterminated string");
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) fail("Invalid control character");
      if (c === 0x5c) {
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"': out += '"'; break;
          case "\\": out += "\\"; break;
          case "/": out += "/"; break;
          case "b": out += "\b"; break;
          case "f": out += "\f"; break;
          case "n": out += "\n"; break;
          case "r": out += "\r"; break;
          case "t": out += "\t"; break;
          case "u": {
            const h = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) fail("Invalid \\uXXXX escape");
            out += String.fromCharCode(parseInt(h, 16));
            i += 4;
            break;
          }
          default:
            fail("Invalid \\escape");
        }
        continue;
      }
      out += text[i];
      i++;
    }
  };
  const v = value();
  ws();
  if (i !== n) fail("Extra data");
  return v;
}

/** Python `float.__repr__` (shortest round-trip, exponent when exp < -4 or >= 16). */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant, expStr] = x.toExponential().split("e");
  const e = parseInt(expStr, 10);
  const sign = x < 0 ? "-" : "";
  const digits = mant.replace("-", "").replace(".", "");
  if (e >= -4 && e < 16) {
    if (e >= 0) {
      const intPart = digits.slice(0, e + 1).padEnd(e + 1, "0");
      const frac = digits.slice(e + 1) || "0";
      return `${sign}${intPart}.${frac}`;
    }
    return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
}

function jsonFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  return floatRepr(x);
}

export function dumpString(s: string): string {
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else if (c < 0x20 || c > 0x7e) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += s[k];
  }
  return out + '"';
}

/** `json.dumps(v)` with Python defaults. Keys whose value is `undefined` are skipped. */
export function dumps(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : jsonFloat(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return dumpString(v);
  if (v instanceof PyFloat) return jsonFloat(v.value);
  if (Array.isArray(v)) return "[" + v.map(dumps).join(", ") + "]";
  if (v instanceof Map) {
    const parts: string[] = [];
    for (const [k, val] of v) if (val !== undefined) parts.push(`${dumpString(String(k))}: ${dumps(val)}`);
    return "{" + parts.join(", ") + "}";
  }
  if (typeof v === "object") {
    const parts: string[] = [];
    for (const [k, val] of Object.entries(v as object)) {
      if (val !== undefined) parts.push(`${dumpString(k)}: ${dumps(val)}`);
    }
    return "{" + parts.join(", ") + "}";
  }
  return dumpString(String(v));
}

/** Python `repr()` of a JSON-ish value, for messages that embed values (`'x.png' not in [...]`). */
export function pyRepr(v: unknown): string {
  if (typeof v === "string") {
    const quote = v.includes("'") && !v.includes('"') ? '"' : "'";
    let out = quote;
    for (const ch of v) {
      const c = ch.codePointAt(0)!;
      if (ch === "\\") out += "\\\\";
      else if (ch === quote) out += "\\" + quote;
      else if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (ch === "\t") out += "\\t";
      else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
      else out += ch;
    }
    return out + quote;
  }
  if (Array.isArray(v)) return "[" + v.map(pyRepr).join(", ") + "]";
  if (v instanceof Map) return "{" + [...v].map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(", ") + "}";
  return pyStr(v);
}

/** Python `str()`. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return v;
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (Array.isArray(v) || v instanceof Map) return pyRepr(v);
  if (typeof v === "object") return "{" + Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(", ") + "}";
  return String(v);
}

export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number" || typeof v === "bigint") return "int";
  if (v instanceof PyFloat) return "float";
  if (typeof v === "string") return "str";
  if (Array.isArray(v)) return "list";
  return "dict";
}

/** Numeric value of an int/float/bool for comparisons (BigInt kept exact). */
export function numOf(v: unknown): number | bigint | null {
  if (typeof v === "number" || typeof v === "bigint") return v;
  if (v instanceof PyFloat) return v.value;
  if (typeof v === "boolean") return v ? 1 : 0;
  return null;
}

export function pyLess(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === "bigint" || typeof b === "bigint") {
    const big = (x: number | bigint) => (typeof x === "bigint" ? x : Number.isInteger(x) ? BigInt(x) : null);
    const fa = big(a);
    const fb = big(b);
    if (fa !== null && fb !== null) return fa < fb;
    return Number(a) < Number(b);
  }
  return a < b;
}

export function pyEquals(a: unknown, b: unknown): boolean {
  const na = numOf(a);
  const nb = numOf(b);
  if (na !== null && nb !== null) return typeof na === typeof nb ? na === nb : Number(na) === Number(nb);
  if (typeof a === "string" || typeof b === "string") return a === b;
  if (a === null || b === null) return a === b;
  return dumps(a) === dumps(b);
}

/** Deep copy of a parsed value (Maps, arrays, PyFloats are immutable). */
export function deepCopy<T>(v: T): T {
  if (Array.isArray(v)) return v.map(deepCopy) as T;
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, deepCopy(x)])) as T;
  if (v && typeof v === "object" && !(v instanceof PyFloat)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = deepCopy(x);
    return o as T;
  }
  return v;
}

/** Map/object → plain JS (floats as numbers) for the control API and in-process consumers. */
export function toPlain(v: unknown): unknown {
  if (v instanceof PyFloat) return v.value;
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, toPlain(x)]));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
  return v;
}
