/** Lowercase, hyphenated UUIDs: ComfyUI (June 2026+) rejects any other prompt_id spelling. */
export const newId = (): string => crypto.randomUUID().toLowerCase();
