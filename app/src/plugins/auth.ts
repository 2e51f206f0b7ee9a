// Bearer-token auth for mutating calls (and reading an inbox). The token comes from config
// (AIOS_TOKEN or AIOS_TOKEN_FILE) and is compared in constant time by @fastify/bearer-auth.
import fp from "fastify-plugin";
import bearerAuth from "@fastify/bearer-auth";
import type { FastifyPluginAsync, preHandlerHookHandler } from "fastify";

declare module "fastify" {
  interface FastifyInstance {
    requireToken: preHandlerHookHandler;
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
