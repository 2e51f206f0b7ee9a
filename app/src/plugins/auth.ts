// Bearer-token auth for mutating calls (and reading an inbox). A member takes its own token
// (AIOS_TOKEN or AIOS_TOKEN_FILE: its device's) and the tokens whose SHA-256 digests
// AIOS_ACCEPT_TOKENS_FILE lists (the operator's, other devices'); @fastify/bearer-auth hands
// over the presented token, whose digest is compared with each in constant time.
// Routes use it as their `onRequest` hook, so a caller without the token gets 401 before the
// body is read: no parse or schema errors (400/413) leak to callers without the token.
// Failed attempts are counted per address (AIOS_AUTH_FAIL_LIMIT a window): past the limit every
// call from that address gets 429, with the right token or not, so a guesser learns nothing more.
import { createHash, timingSafeEqual } from "node:crypto";
import fp from "fastify-plugin";
import bearerAuth from "@fastify/bearer-auth";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { tooManyRequests } from "../lib/http-errors.ts";

declare module "fastify" {
  interface FastifyInstance {
    requireToken: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;
  }
}

const authPlugin: FastifyPluginAsync = async (app) => {
  const { authFailMax, rateWindowMs } = app.config.limits;
  const digest = (t: string): Buffer => createHash("sha256").update(t).digest();
  const accepted = [digest(app.config.token), ...app.config.acceptedTokenHashes];
  const auth = (key: string): boolean => {
    const d = digest(key);
    let ok = false;
    for (const a of accepted) ok = timingSafeEqual(a, d) || ok; // no early exit: every digest is compared
    return ok;
  };
  await app.register(bearerAuth, { keys: new Set<string>(), auth, addHook: false, verifyErrorLogLevel: "warn" });
  const verify = app.verifyBearerAuth!;
  const failures = app.createRateLimit({ max: authFailMax, timeWindow: rateWindowMs, keyGenerator: (req) => `auth ${req.ip}` });

  app.decorate("requireToken", async (req: FastifyRequest, reply: FastifyReply) => {
    const seen = await failures(req, { increment: false });
    if (!seen.isAllowed && seen.remaining === 0) {
      const wait = Math.max(1, seen.ttlInSeconds);
      return reply
        .code(429)
        .header("retry-after", wait)
        .send(tooManyRequests(`too many failed authentications from this address; retry in ${wait} s`));
    }
    const error = await new Promise<Error | undefined>((resolve) => verify(req, reply, resolve));
    if (error) {
      await failures(req);
      throw error;
    }
    return undefined;
  });
};

export default fp(authPlugin, { name: "auth", dependencies: ["config", "rate-limit"] });
