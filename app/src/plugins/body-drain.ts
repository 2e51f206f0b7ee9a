// An oversize body gets its 413 only if the client is still listening: Node closes a connection
// whose request body is unread once the answer is sent, and a client still sending then sees a
// broken pipe (fetch: "TypeError: fetch failed") instead of the 413. So the 413 waits until the
// rest of the body is read and thrown away, up to AIOS_BODY_DRAIN_LIMIT bytes (16 MiB) or for
// 10 s at most; past either bound the 413 is sent and the connection closes. Only routes that
// take a body carry the hook, so GET /health stays as cheap as it was.
import fp from "fastify-plugin";
import type { IncomingMessage } from "node:http";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { takesBody } from "../lib/methods.ts";

const DRAIN_TIMEOUT_MS = 10_000;

function drain(raw: IncomingMessage, limit: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      raw.off("data", onData);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) done();
    };
    const timer = setTimeout(done, DRAIN_TIMEOUT_MS);
    raw.on("data", onData);
    raw.once("end", done);
    raw.once("close", done);
    raw.resume();
  });
}

const bodyDrainPlugin: FastifyPluginAsync = async (app) => {
  const limit = app.config.limits.drainLimitBytes;
  if (!limit) return;
  const onSend = async (req: FastifyRequest, reply: FastifyReply) => {
    if (reply.statusCode === 413 && !req.raw.complete) await drain(req.raw, limit);
  };
  app.addHook("onRoute", (route) => {
    if (takesBody(route.method)) route.onSend = [...[route.onSend ?? []].flat(), onSend];
  });
};

export default fp(bodyDrainPlugin, { name: "body-drain", dependencies: ["config"] });
