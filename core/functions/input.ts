import { AppError } from '../errors';

export function optionalString(input: Record<string, unknown>, key: string, maxLength: number): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > maxLength) throw new AppError('INVALID_INPUT', `${key} must be a string of at most ${maxLength} characters`);
  return value;
}

export function requiredString(input: Record<string, unknown>, key: string, maxLength: number): string {
  const value = optionalString(input, key, maxLength);
  if (value === undefined || value.length === 0) throw new AppError('INVALID_INPUT', `${key} is required`);
  return value;
}

export function optionalInteger(input: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new AppError('INVALID_INPUT', `${key} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export function optionalBoolean(input: Record<string, unknown>, key: string): boolean | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new AppError('INVALID_INPUT', `${key} must be true or false`);
  return value;
}
