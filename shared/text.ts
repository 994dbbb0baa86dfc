/**
 * Text from users and files that the app shows again. Pure TypeScript.
 */

/**
 * Bidirectional embedding, override and isolate controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI,
 * PDI). A name holding U+202E shows its characters reversed ("gpj.exe" as "exe.jpg") in the UI,
 * the CLI and reports; the plain direction marks (LRM, RLM, ALM) cannot reorder text and are kept.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

export function neutraliseBidi(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}
