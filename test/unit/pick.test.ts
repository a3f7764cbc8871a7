import { describe, expect, it } from "vitest";
import { placementOrder } from "../../src/scheduler/pick";

const h = (id: string, state: string, slots: number, inUse: number, lastAssignedAtMs = 0) => ({ id, state, slots, inUse, lastAssignedAtMs });

describe("placementOrder", () => {
  it("prefers the host with the most free slots", () => {
    expect(placementOrder([h("a", "online", 2, 1), h("b", "online", 4, 1)]).map((x) => x.id)).toEqual(["b", "a"]);
  });
  it("breaks ties by least recently used", () => {
    expect(placementOrder([h("a", "online", 2, 0, 50), h("b", "online", 2, 0, 10)]).map((x) => x.id)).toEqual(["b", "a"]);
  });
  it("skips full, offline and draining hosts", () => {
    expect(placementOrder([h("a", "online", 2, 2), h("b", "offline", 2, 0), h("c", "draining", 2, 0), h("d", "busy", 2, 1)]).map((x) => x.id)).toEqual(["d"]);
  });
});
