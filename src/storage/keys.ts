/** Every output lives under outputs/<jobId>/; a name from ComfyUI can never climb out of it. */
export function safeOutputName(filename: string, subfolder = ""): string {
  const joined = [subfolder, filename].filter(Boolean).join("_");
  const cleaned = joined
    .replace(/[\\/]+/g, "_")
    .replace(/[^\w.\- ()[\]]+/g, "_")
    .replace(/^\.+/, "_")
    .slice(-200);
  return cleaned || "output";
}

export const outputPrefix = (jobId: string) => `outputs/${jobId}/`;
export const outputKey = (jobId: string, name: string) => `${outputPrefix(jobId)}${safeOutputName(name)}`;

/** Gives each name in a job a unique spelling by suffixing clashes: a.png, a (2).png… */
export function uniqueName(name: string, taken: Set<string>): string {
  if (!taken.has(name)) return name;
  const dot = name.lastIndexOf(".");
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  for (let i = 2; ; i++) {
    const candidate = `${stem} (${i})${ext}`;
    if (!taken.has(candidate)) return candidate;
  }
}
