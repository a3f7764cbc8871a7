// A fixed data folder that a fake claims on start (`--fresh-data-dir`). A fake killed outright
// (SIGKILL, a closed terminal) cannot clean up after itself; with a fixed folder per port the
// next start does it instead, so nothing piles up in the temp dir.
import fs from "node:fs";
import path from "node:path";

const OWNER_FILE = "owner.pid";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Empties `dir` (whatever a dead run left there) and records this process as its owner. */
export function claimFreshDir(dir: string, pid = process.pid): void {
  let owner = NaN;
  try {
    owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8").trim());
  } catch {
    /* no owner record: a fresh or foreign folder */
  }
  // A fake still running on this folder (its port is taken too) keeps its files.
  if (Number.isInteger(owner) && owner > 0 && owner !== pid && alive(owner)) {
    throw new Error(`data dir ${dir} is in use by process ${owner}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, OWNER_FILE), String(pid));
}
