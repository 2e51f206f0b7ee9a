// Routes that change state (and take a body) are every route with a method other than these.
const READ_ONLY = new Set(["GET", "HEAD", "OPTIONS"]);

export const takesBody = (method: string | string[]): boolean => [method].flat().some((m) => !READ_ONLY.has(m));
