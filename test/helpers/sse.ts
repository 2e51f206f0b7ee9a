// Reads a server-sent event stream (the fleet map's /fleet/events): the JSON of each `data:`
// frame, as it arrives. Used by the stream's test and the presence bench.
export async function* sseFrames<T>(body: ReadableStream<Uint8Array<ArrayBuffer>>): AsyncGenerator<T> {
  let buf = "";
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let end: number;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const data = buf.slice(0, end).split("\n").find((l) => l.startsWith("data: "));
      buf = buf.slice(end + 2);
      if (data) yield JSON.parse(data.slice(6)) as T;
    }
  }
}
