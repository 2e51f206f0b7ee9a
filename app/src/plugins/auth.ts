// Bearer-token auth for mutating calls (and reading an inbox). The token comes from config
// (AIOS_TOKEN or AIOS_TOKEN_FILE) and is compared in constant time by @fastify/bearer-auth.
// Routes use it as their `onRequest` hook, so a caller without the token gets 401 before the
// body is read: no parse or schema errors (400/413) leak to callers without the token.
import fp from "fastify-plugin";
import bearerAuth from "@fastify/bearer-auth";
import type { FastifyPluginAsync, onRequestHookHandler } from "fastify";

declare module "fastify" {
  interface FastifyInstance {
    requireToken: onRequestHookHandler;
  }
}

const authPlugin: FastifyPluginAsync = async (app) => {
  await app.register(bearerAuth, {
    keys: new Set([app.config.token]),
    addHook: false,
    verifyErrorLogLevel: "warn",
    errorResponse: (err: Error) => ({ statusCode: 401, error: "Unauthorized", message: err.message }),
  });
  app.decorate("requireToken", app.verifyBearerAuth!);
};

export default fp(authPlugin, { name: "auth", dependencies: ["config"] });
