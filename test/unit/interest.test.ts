import { describe, expect, it } from "vitest";
import { feedsOf, Interest, LEASE_MS } from "../../src/watch/interest";

const NOW = 1_800_000_000_000;

describe("Interest (which jobs a host reports, and to whom)", () => {
  it("reports nothing when nobody listens", () => {
    expect(new Interest().targets("job-1", "alice", NOW)).toBeNull();
  });

  it("reports a watched job to its stream until the lease runs out, and only that job", () => {
    const i = new Interest();
    i.watchJob("job-1", NOW + LEASE_MS);
    expect(i.targets("job-1", "alice", NOW)).toEqual({ job: true, feeds: [] });
    expect(i.targets("job-2", "alice", NOW)).toBeNull();
    expect(i.targets("job-1", "alice", NOW + LEASE_MS - 1)).toEqual({ job: true, feeds: [] });
    expect(i.targets("job-1", "alice", NOW + LEASE_MS)).toBeNull();
  });

  it("a renewal never shortens a lease", () => {
    const i = new Interest();
    i.watchJob("job-1", NOW + 2 * LEASE_MS);
    i.watchJob("job-1", NOW + LEASE_MS);
    expect(i.targets("job-1", "alice", NOW + LEASE_MS + 1)?.job).toBe(true);
  });

  it("reports every job of an owner whose feed is open to that feed, and everyone's to the admins' feed", () => {
    const i = new Interest();
    i.openFeed("owner:alice", NOW + LEASE_MS);
    expect(i.targets("job-1", "alice", NOW)).toEqual({ job: false, feeds: ["owner:alice"] });
    expect(i.targets("job-2", "bob", NOW)).toBeNull();
    i.openFeed("all", NOW + LEASE_MS);
    expect(i.targets("job-2", "bob", NOW)).toEqual({ job: false, feeds: ["all"] });
    i.watchJob("job-1", NOW + LEASE_MS);
    expect(i.targets("job-1", "alice", NOW)).toEqual({ job: true, feeds: feedsOf("alice") });
  });

  it("lists the feeds' running leases (what a host keeps across a restart), and a restored lease works as before", () => {
    const i = new Interest();
    i.openFeed("all", NOW + LEASE_MS);
    i.openFeed("owner:bob", NOW + 10);
    i.watchJob("job-1", NOW + LEASE_MS);
    expect(i.openFeeds(NOW + 10)).toEqual({ all: NOW + LEASE_MS });
    const restored = new Interest();
    for (const [name, until] of Object.entries(i.openFeeds(NOW))) restored.openFeed(name, until);
    expect(restored.targets("job-9", "bob", NOW + 5)).toEqual({ job: false, feeds: ["owner:bob", "all"] });
    expect(restored.targets("job-9", "bob", NOW + 10)).toEqual({ job: false, feeds: ["all"] });
  });

  it("prune forgets only expired leases", () => {
    const i = new Interest();
    i.watchJob("old", NOW + 10);
    i.watchJob("live", NOW + LEASE_MS);
    i.openFeed("all", NOW + 10);
    i.prune(NOW + 10);
    expect(i.targets("old", "x", NOW)).toBeNull();
    expect(i.targets("live", "x", NOW)).toEqual({ job: true, feeds: [] });
  });
});
