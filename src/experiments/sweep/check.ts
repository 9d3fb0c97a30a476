/** Helpers for validation messages shared by the sweep modules. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const show = (v: unknown) => JSON.stringify(v) ?? 'nothing';
