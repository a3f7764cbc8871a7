/** A ComfyUI API-format graph as the gateway stores and submits it. */
export type GraphNode = { class_type: string; inputs: Record<string, unknown>; _meta?: { title?: string } };
export type Graph = Record<string, GraphNode>;
