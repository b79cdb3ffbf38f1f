/**
 * Results from runtimes that report raw bytes (the custom runtime's HTTP bodies, Go's response Payload)
 * as the JSON text the runtime contract promises: valid JSON passes unchanged, anything else, such as
 * the plain text a bash bootstrap posts with `curl -d "$RESPONSE"`, becomes a JSON string.
 */
export function jsonText(raw: string): string {
  try {
    JSON.parse(raw);
    return raw;
  } catch {
    return JSON.stringify(raw);
  }
}
