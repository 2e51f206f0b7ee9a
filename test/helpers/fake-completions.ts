// The one stand-in in the organelle and editor tests: no language model runs on the build
// machines, so cells get an OpenAI-compatible endpoint on 127.0.0.1 that answers a fixed text.
import { createServer, type Server } from "node:http";

/** An OpenAI-compatible endpoint on 127.0.0.1 that completes with a fixed text and keeps the prompts. */
export function fakeCompletions(): Promise<{ server: Server; url: string; prompts: string[] }> {
  const prompts: string[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const { model, messages } = JSON.parse(body) as { model: string; messages: { content: string }[] };
      prompts.push(`${req.url} ${model} ${messages.at(-1)!.content}`);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ model, choices: [{ message: { content: "():\n    print('hi')" }, finish_reason: "stop" }] }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`, prompts })),
  );
}
