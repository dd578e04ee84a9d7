import { brand } from '../core/brand.js';

/** A YAML or JSON syntax error, with a one-line message that quotes no file content. */
export class ConfigSyntaxError extends Error {
  override readonly name = 'ConfigSyntaxError';
  constructor(
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
  }
}
brand(ConfigSyntaxError, 'ConfigSyntaxError');
