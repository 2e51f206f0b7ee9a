import fp from "fastify-plugin";
import type { FastifyPluginAsync } from "fastify";
import type { AppConfig } from "../config.ts";

declare module "fastify" {
  interface FastifyInstance {
    config: AppConfig;
  }
}

const configPlugin: FastifyPluginAsync<{ config: AppConfig }> = async (app, opts) => {
  app.decorate("config", opts.config);
};

export default fp(configPlugin, { name: "config" });
