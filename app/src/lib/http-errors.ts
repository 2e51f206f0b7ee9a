// Error bodies in fastify's own shape ({statusCode, error, message}), for answers a route sends itself.
export const badRequest = (message: string) => ({ statusCode: 400, error: "Bad Request", message });
export const notFound = (message: string) => ({ statusCode: 404, error: "Not Found", message });
export const conflict = (message: string) => ({ statusCode: 409, error: "Conflict", message });
export const unavailable = (message: string) => ({ statusCode: 503, error: "Service Unavailable", message });
export const tooManyRequests = (message: string) => ({ statusCode: 429, error: "Too Many Requests", message });
