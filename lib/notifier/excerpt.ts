/** How much of a vendor's error body goes into a message: enough to read the reason, not a whole HTML page. */
export const EXCERPT_LENGTH = 300;

/** One line of at most `max` characters, saying how much was cut. */
export function excerpt(text: string, max: number = EXCERPT_LENGTH): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line.length <= max) return line;
  return `${line.slice(0, max)}… (${line.length - max} more characters)`;
}
