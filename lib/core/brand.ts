/**
 * `instanceof` that holds across copies of a module. The CLI is bundled per
 * command and per part loaded on demand (scripts/bundle-cli.mjs), and a
 * plugin imports its own `slipway`: an error thrown by one copy of
 * SlipwayError must still be a SlipwayError to the code that catches it.
 * A branded class marks its instances with a registered symbol and answers
 * `instanceof` by that mark. (Not for classes that are extended: a subclass
 * would answer for every instance of the base.)
 */
export function brand(cls: abstract new (...args: never[]) => unknown, name: string): void {
  const mark = Symbol.for(`slipway.${name}`);
  Object.defineProperty(cls.prototype, mark, { value: true });
  Object.defineProperty(cls, Symbol.hasInstance, {
    value: (value: unknown) => typeof value === 'object' && value !== null && mark in value,
  });
}
