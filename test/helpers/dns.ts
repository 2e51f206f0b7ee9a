// A DNS client and a stand-in upstream resolver for the LAN DNS tests, on dns-packet (the wire
// format library multicast-dns uses). Queries go over UDP or TCP; the upstream records every
// question it is asked, so a test can show a name was (or was not) forwarded.
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import * as packet from "dns-packet";

export interface DnsAnswer {
  rcode: string;
  addresses: string[];
}

function parse(buf: Buffer): DnsAnswer {
  const p = packet.decode(buf) as packet.DecodedPacket & { rcode: string };
  const addresses = (p.answers ?? []).flatMap((a) => (a.type === "A" || a.type === "AAAA" ? [a.data] : []));
  return { rcode: p.rcode, addresses };
}

export function query(port: number, name: string, opts: { type?: "A" | "AAAA"; tcp?: boolean; timeoutMs?: number } = {}): Promise<DnsAnswer> {
  const q: packet.Packet = {
    type: "query",
    id: Math.floor(Math.random() * 65535),
    flags: packet.RECURSION_DESIRED,
    questions: [{ type: opts.type ?? "A", name }],
  };
  const timeoutMs = opts.timeoutMs ?? 3000;
  return new Promise((resolve, reject) => {
    const fail = (why: string) => reject(new Error(`DNS ${opts.tcp ? "TCP" : "UDP"} query for ${name} on 127.0.0.1:${port}: ${why}`));
    if (opts.tcp) {
      const sock = connect(port, "127.0.0.1", () => sock.write(packet.streamEncode(q)));
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => (sock.destroy(), fail("no answer")), timeoutMs);
      sock.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          clearTimeout(timer);
          sock.end();
          resolve(parse(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        }
      });
      sock.on("error", (e) => (clearTimeout(timer), fail(e.message)));
      return;
    }
    const sock = createSocket("udp4");
    const timer = setTimeout(() => (sock.close(), fail("no answer")), timeoutMs);
    sock.once("message", (msg) => {
      clearTimeout(timer);
      sock.close();
      resolve(parse(msg));
    });
    sock.send(packet.encode(q), port, "127.0.0.1");
  });
}

/** A resolver on 127.0.0.1 that answers every A question with `address` and remembers the names asked. */
export async function fakeUpstream(address: string): Promise<{ port: number; asked: string[]; close: () => void }> {
  const sock = createSocket("udp4");
  const asked: string[] = [];
  sock.on("message", (msg, from) => {
    const q = packet.decode(msg);
    const question = q.questions?.[0];
    if (!question) return;
    asked.push(question.name);
    const answers: packet.Answer[] = question.type === "A" ? [{ type: "A", name: question.name, ttl: 60, data: address }] : [];
    const reply = packet.encode({ type: "response", id: q.id, flags: packet.RECURSION_AVAILABLE, questions: [question], answers });
    sock.send(reply, from.port, from.address);
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  return { port: sock.address().port, asked, close: () => sock.close() };
}
