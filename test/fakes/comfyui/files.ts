// ComfyUI's input/output/temp folders and its path rules (folder_paths.py, server.py view_image,
// image_upload), reproduced with Python os.path semantics so 400/403/404 and rename cases match.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";

export type DirType = "input" | "output" | "temp";

export class Storage {
  readonly root: string;
  readonly dirs: Record<DirType, string>;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.dirs = {
      input: path.join(this.root, "input"),
      output: path.join(this.root, "output"),
      temp: path.join(this.root, "temp"),
    };
    for (const d of Object.values(this.dirs)) fs.mkdirSync(d, { recursive: true });
  }

  dirByType(type: string | null | undefined): string | null {
    if (type === "input" || type === "output" || type === "temp") return this.dirs[type];
    return null;
  }

  /** ComfyUI wipes temp on start and on restart (main.py cleanup_temp). */
  wipe(type: DirType): void {
    fs.rmSync(this.dirs[type], { recursive: true, force: true });
    fs.mkdirSync(this.dirs[type], { recursive: true });
  }

  wipeAll(): void {
    for (const t of ["input", "output", "temp"] as DirType[]) this.wipe(t);
  }

  /** `folder_paths.annotated_filepath`: "x.png [output]" picks the folder. */
  annotated(name: string): { name: string; dir: string | null } {
    if (name.endsWith("[output]")) return { name: name.slice(0, -9), dir: this.dirs.output };
    if (name.endsWith("[input]")) return { name: name.slice(0, -8), dir: this.dirs.input };
    if (name.endsWith("[temp]")) return { name: name.slice(0, -7), dir: this.dirs.temp };
    return { name, dir: null };
  }

  /** `folder_paths.exists_annotated_filepath` (LoadImage.VALIDATE_INPUTS). */
  inputExists(name: string): boolean {
    const a = this.annotated(name);
    const p = path.join(a.dir ?? this.dirs.input, a.name);
    return isFile(p);
  }

  inputPath(name: string): string {
    const a = this.annotated(name);
    return path.join(a.dir ?? this.dirs.input, a.name);
  }

  /** Files LoadImage offers in its combo (sorted, files only, recursive like ComfyUI's list). */
  listInputImages(): string[] {
    const out: string[] = [];
    const walk = (dir: string, rel: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(path.join(dir, e.name), r);
        else if (e.isFile()) out.push(r);
      }
    };
    walk(this.dirs.input, "");
    return out.sort();
  }

  /** `folder_paths.get_save_image_path`. Throws ComfyUI's exception text when escaping. */
  saveImagePath(prefix: string, type: "output" | "temp", width = 0, height = 0): { folder: string; filename: string; counter: number; subfolder: string } {
    const base = this.dirs[type];
    let p = prefix;
    if (p.includes("%")) p = p.replaceAll("%width%", String(width)).replaceAll("%height%", String(height));
    const norm = path.normalize(p);
    const subfolder = path.dirname(norm) === "." ? "" : path.dirname(norm);
    const filename = path.basename(norm);
    const folder = path.resolve(base, subfolder);
    if (!within(base, folder)) {
      throw new PyError(
        "Exception",
        `**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: ${folder}\n         output_dir: ${base}`,
      );
    }
    let counter = 1;
    if (fs.existsSync(folder)) {
      const plen = filename.length;
      for (const f of fs.readdirSync(folder)) {
        const pre = f.slice(0, plen + 1);
        if (pre.slice(0, -1) !== filename || pre.slice(-1) !== "_") continue;
        const digits = parseInt(f.slice(plen + 1).split("_")[0], 10);
        const d = /^\d+$/.test(f.slice(plen + 1).split("_")[0]) ? digits : 0;
        counter = Math.max(counter, d + 1);
      }
    } else fs.mkdirSync(folder, { recursive: true });
    return { folder, filename, counter, subfolder };
  }

  /** Resolves `/view` query params to a file or the status code ComfyUI would answer. */
  resolveView(q: URLSearchParams): { status: 200; file: string; filename: string } | { status: 400 | 403 | 404 } {
    if (!q.has("filename")) return { status: 404 };
    const a = this.annotated(q.get("filename")!);
    if (!a.name) return { status: 400 };
    if (a.name[0] === "/" || a.name.includes("..")) return { status: 400 };
    let dir = a.dir ?? this.dirByType(q.get("type") ?? "output");
    if (dir === null) return { status: 400 };
    if (q.has("subfolder")) {
      const full = path.resolve(dir, q.get("subfolder")!);
      if (!within(dir, full)) return { status: 403 };
      dir = full;
    }
    const filename = path.basename(a.name);
    const file = path.join(dir, filename);
    if (!isFile(file)) return { status: 404 };
    return { status: 200, file, filename };
  }

  /** `image_upload` without the HTTP parts. Returns null for ComfyUI's 400 cases. */
  upload(opts: { filename: string; data: Buffer; type: DirType; subfolder: string; overwrite: boolean }): { name: string; reused: boolean; sha256: string } | null {
    const dir = this.dirs[opts.type];
    if (!opts.filename) return null;
    const folder = path.join(dir, path.normalize(opts.subfolder || "."));
    let filepath = path.resolve(folder, opts.filename);
    if (!within(dir, filepath)) return null;
    fs.mkdirSync(folder, { recursive: true });
    const sha = sha256(opts.data);
    let filename = opts.filename;
    let reused = false;
    if (!opts.overwrite) {
      const ext = path.extname(filename);
      const stem = filename.slice(0, filename.length - ext.length);
      let i = 1;
      while (fs.existsSync(filepath)) {
        if (isFile(filepath) && sha256(fs.readFileSync(filepath)) === sha) {
          reused = true;
          break;
        }
        filename = `${stem} (${i})${ext}`;
        filepath = path.join(folder, filename);
        i++;
      }
    }
    if (!reused) fs.writeFileSync(filepath, opts.data);
    return { name: filename, reused, sha256: sha };
  }

  /** For `/__fake/files/<type>/<rel>`: a path inside one of the three folders, or null. */
  rawPath(type: string, rel: string): string | null {
    const dir = this.dirByType(type);
    if (!dir) return null;
    const p = path.resolve(dir, rel);
    return within(dir, p) && isFile(p) ? p : null;
  }
}

export class PyError extends Error {
  readonly pyType: string;
  constructor(pyType: string, message: string) {
    super(message);
    this.pyType = pyType;
  }
}

export function within(base: string, p: string): boolean {
  return p === base || p.startsWith(base.endsWith("/") ? base : base + "/");
}

export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function sha256(b: Buffer): string {
  return crypto.createHash("sha256").update(b).digest("hex");
}

// Python's mimetypes.guess_type for what ComfyUI outputs; unknown → octet-stream.
const MIME: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".gif": "image/gif",
  ".bmp": "image/bmp",
  ".tif": "image/tiff",
  ".tiff": "image/tiff",
  ".svg": "image/svg+xml",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".mov": "video/quicktime",
  ".mkv": "video/x-matroska",
  ".avi": "video/x-msvideo",
  ".flac": "audio/flac",
  ".mp3": "audio/mpeg",
  ".wav": "audio/x-wav",
  ".ogg": "audio/ogg",
  ".opus": "audio/ogg",
  ".m4a": "audio/mp4",
  ".json": "application/json",
  ".txt": "text/plain",
  ".glb": "model/gltf-binary",
  ".gltf": "model/gltf+json",
  ".obj": "model/obj",
  ".html": "text/html",
  ".htm": "text/html",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".css": "text/css",
  ".xhtml": "application/xhtml+xml",
};

const FORCED_DOWNLOAD = new Set(["text/html", "text/html-sandboxed", "application/xhtml+xml", "text/javascript", "text/css"]);

export function viewContentType(filename: string, profile2026: boolean): string {
  const t = MIME[path.extname(filename).toLowerCase()] ?? "application/octet-stream";
  if (FORCED_DOWNLOAD.has(t)) return "application/octet-stream";
  if (profile2026 && (t === "image/svg+xml" || t === "application/xml" || t === "text/xml")) return "application/octet-stream";
  return t;
}

export function isDangerousType(filename: string): boolean {
  const t = MIME[path.extname(filename).toLowerCase()] ?? "";
  return FORCED_DOWNLOAD.has(t) || t === "image/svg+xml";
}
