/** zod validation for forms as the user types: issues → a message per field path. Pure. */
import type { z } from 'zod';

export type FieldErrors = Record<string, string>;

/** Validates `value` with `schema`; returns the first message per dotted path ('' for the root). */
export function fieldErrors(schema: z.ZodType, value: unknown): FieldErrors {
  const result = schema.safeParse(value);
  if (result.success) return {};
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const key = issue.path.map(String).join('.');
    errors[key] ??= humanMessage(issue);
  }
  return errors;
}

/** zod's messages, said the way a form says them. */
export function humanMessage(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'number') return issue.inclusive ? `must be at least ${issue.minimum}` : `must be greater than ${issue.minimum}`;
      if (issue.origin === 'array') return `needs at least ${issue.minimum}`;
      if (issue.origin === 'string') return 'must not be empty';
      return issue.message;
    case 'too_big':
      if (issue.origin === 'number') return issue.inclusive ? `must be at most ${issue.maximum}` : `must be less than ${issue.maximum}`;
      if (issue.origin === 'array') return `at most ${issue.maximum}`;
      return issue.message;
    case 'invalid_type':
      return issue.expected === 'number' ? 'must be a number' : issue.expected === 'int' ? 'must be a whole number' : 'is required';
    default:
      return issue.message.replace(/^Invalid input: /, '');
  }
}

/** Text typed into a number field → number, or NaN-free undefined when empty. */
export function numberField(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  if (!text.trim()) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : Number.NaN;
}
