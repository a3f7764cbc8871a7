import type { Graph } from "../comfy/graph";

/** Nodes whose inputs set the size of what is generated; a graph is checked on these before it runs. */
const SIZED_NODES = new Set([
  "EmptyLatentImage", "EmptySD3LatentImage", "EmptyHunyuanLatentVideo", "EmptyMochiLatentVideo", "EmptyLTXVLatentVideo",
  "EmptyCosmosLatentVideo", "EmptyImage", "ImageScale", "LatentUpscale", "SDXLEmptyLatentSizePicker+", "EmptyFlux2LatentImage",
]);

export type LimitIssue = { path: string; message: string };

/** MAX_IMAGE_SIZE and MAX_BATCH_SIZE on the known sizing nodes; links (arrays) are left to ComfyUI. Pure. */
export function checkLimits(graph: Graph, limits: { maxImageSize: number; maxBatchSize: number }): LimitIssue[] {
  const issues: LimitIssue[] = [];
  for (const [id, node] of Object.entries(graph)) {
    if (!SIZED_NODES.has(node.class_type)) continue;
    for (const field of ["width", "height"] as const) {
      const v = node.inputs[field];
      if (typeof v === "number" && v > limits.maxImageSize) {
        issues.push({ path: `workflow.${id}.inputs.${field}`, message: `${field} ${v} of node ${id} (${node.class_type}) is over MAX_IMAGE_SIZE ${limits.maxImageSize}` });
      }
    }
    const batch = node.inputs.batch_size;
    if (typeof batch === "number" && batch > limits.maxBatchSize) {
      issues.push({ path: `workflow.${id}.inputs.batch_size`, message: `batch_size ${batch} of node ${id} (${node.class_type}) is over MAX_BATCH_SIZE ${limits.maxBatchSize}` });
    }
  }
  return issues;
}
