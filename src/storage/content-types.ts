const TYPES: Record<string, string> = {
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", webp: "image/webp", gif: "image/gif", bmp: "image/bmp", tif: "image/tiff", tiff: "image/tiff",
  mp4: "video/mp4", webm: "video/webm", mov: "video/quicktime", mkv: "video/x-matroska", avi: "video/x-msvideo",
  mp3: "audio/mpeg", wav: "audio/wav", flac: "audio/flac", ogg: "audio/ogg", opus: "audio/opus", m4a: "audio/mp4",
  glb: "model/gltf-binary", gltf: "model/gltf+json", obj: "model/obj", stl: "model/stl", ply: "application/octet-stream", fbx: "application/octet-stream",
  txt: "text/plain; charset=utf-8", json: "application/json",
};

export const extensionOf = (name: string) => (/\.([A-Za-z0-9]+)$/.exec(name)?.[1] ?? "").toLowerCase();
export const contentTypeFor = (name: string) => TYPES[extensionOf(name)] ?? "application/octet-stream";

export type OutputKind = "image" | "video" | "audio" | "3d" | "text" | "file";

/** The kind of a file output from the history key it came under and its name. */
export function kindOf(historyKey: string, filename: string, animated: boolean): OutputKind {
  const type = contentTypeFor(filename);
  if (type.startsWith("video/") || historyKey === "gifs" || historyKey === "videos") return "video";
  if (type.startsWith("audio/") || historyKey === "audio") return "audio";
  if (type.startsWith("model/") || historyKey === "result" || historyKey === "3d" || historyKey === "mesh") return "3d";
  if (type.startsWith("image/") || historyKey === "images") return animated && type === "image/webp" ? "video" : "image";
  return "file";
}
