/** A URL as it may be shown (health, logs, errors): any user:password@ or token@ part masked. */
export const maskUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, "//***@");
