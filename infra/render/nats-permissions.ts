// What each member of the fleet may do on the bus: the subject permissions of its NATS user.
// Everything not allowed is denied (nats-server denies the rest once an allow list is given).
//
// The rules a receiver relies on:
//  - a member publishes presence only under its own key: a KV put is a publish to
//    `$KV.<bucket>.<key>`, so `$KV.aios_presence.<id>` and nothing else under that bucket;
//  - a message's sender is in its subject (`aios.msg.<from>.to.<to>`, `aios.msg.<from>.all`) and a
//    member may publish only under its own id, so the receiver reads `from` off the subject;
//  - a member creates, reads and acks only its own durable consumers. nats.js (with a 2.9+
//    server) creates a named consumer with `$JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>`,
//    and the server refuses a request whose body's filter differs from the subject's, so the
//    permission pins the filter too: nobody can make a consumer over another cell's messages;
//  - replies and pulled messages go to the member's own inbox prefix `_INBOX.<id>` (the app
//    sets nats.js's inboxPrefix), and a member subscribes under its own prefix only, so it cannot
//    listen to what is delivered to another;
//  - request/reply answers (a cell accepting a task) use `allow_responses`: a member may answer
//    a request it received, once, and nothing more. A cell acks its messages the same way, not
//    through its allow list (see `answers`).
// One thing these rules cannot stop: a member that may create a consumer can name any subject as
// its deliver subject, and the server publishes there for it (nats-io/nats-server#8274). So a
// receiver also checks the signature of the member a subject names (app/src/lib/signing.ts).
// Names below are the app's (app/src/plugins/messaging.ts, lib/presence.ts, tasks/protocol.ts);
// test/e2e/bus-identity.test.ts runs real members under these permissions.
import { JS_DOMAIN } from "./nats.ts";

export const PRESENCE_BUCKET = "aios_presence";
export const MESSAGE_STREAM = "AIOS_MESSAGES";
export const RESULT_STREAM = "AIOS_TASK_RESULTS";
export const TASK_BUCKET = "aios_tasks";
export const LOAD_BUCKET = "aios_task_load";
export const RESULTS_CONSUMER = "task-dispatcher";

/** A member's bus role: the app's AIOS_ROLE, or the operator (the fleet commands in tools/). */
export type BusRole = "cell" | "discovery" | "network-listener" | "vscode-bridge" | "consciousness-sync" | "task-dispatcher" | "operator";

export interface BusPermissions {
  publish: string[];
  subscribe: string[];
  /** May answer requests it received (once each). */
  responses: boolean;
  /**
   * What a member with `responses` sends only as answers to what was delivered to it, so kept
   * out of `publish`: its consumers' acks. nats-server remembers the reply subject of every
   * message it delivers to such a member (for two minutes, `allow_responses`' default) and
   * forgets one early only once it was used as an answer; an ack let through by the allow list
   * is not, and past 4,096 remembered subjects the server walks all of them on every delivery
   * (client.go, deliverMsg and pruneReplyPerms). With the acks in the allow list, nats-server
   * spent 2.4 times the CPU per message at 1,000/s, more every round (bench identity). A leaf
   * link, which answers nothing itself, carries them as plain publishes (leafPermissions).
   */
  answers: string[];
}

/** The subject a member's replies and pulled messages arrive on (nats.js inboxPrefix). */
export const inboxPrefix = (id: string): string => `_INBOX.${id}`;

/**
 * A JetStream API subject in both forms: `$JS.API.…` as the client sends it, and
 * `$JS.hub.API.…` as a leaf server checks it, after `default_js_domain` mapped it to the hub's
 * domain (nats-server 2.9.10 applies the permissions to the mapped subject).
 */
const api = (s: string): string[] => [`$JS.API.${s}`, `$JS.${JS_DOMAIN}.API.${s}`];

/** A KV put (a publish to `$KV.<bucket>.<key>`); a leaf server maps it into the hub's API too. */
const kvPut = (bucket: string, key: string): string[] => [`$KV.${bucket}.${key}`, `$JS.${JS_DOMAIN}.API.$KV.${bucket}.${key}`];

/** Find and create a stream (ensureStream, and js.views.kv for a bucket). */
const stream = (name: string): string[] => [...api(`STREAM.INFO.${name}`), ...api(`STREAM.CREATE.${name}`)];

/** Open a bucket and read all of it: a watch is an ordered consumer, whose flow control the client answers. */
function readBucket(bucket: string): string[] {
  const s = `KV_${bucket}`;
  return [...stream(s), ...[`CONSUMER.CREATE.${s}`, `CONSUMER.CREATE.${s}.>`, `CONSUMER.DELETE.${s}.>`, `DIRECT.GET.${s}.>`].flatMap(api), `$JS.FC.${s}.>`];
}

/** A durable pull consumer of its own: create it (filter pinned), ask after it, pull; and its acks. */
function ownConsumer(streamName: string, durable: string, filter?: string): { api: string[]; ack: string } {
  return {
    api: [`CONSUMER.CREATE.${streamName}.${durable}${filter ? `.${filter}` : ""}`, `CONSUMER.INFO.${streamName}.${durable}`, `CONSUMER.MSG.NEXT.${streamName}.${durable}`].flatMap(api),
    ack: `$JS.ACK.${streamName}.${durable}.>`,
  };
}

export const messageSubject = (from: string, to: string): string => (to === "*" ? `aios.msg.${from}.all` : `aios.msg.${from}.to.${to}`);

export function busPermissions(id: string, role: BusRole): BusPermissions {
  if (role === "operator") return { publish: [">"], subscribe: [">"], responses: false, answers: [] };
  const publish = [...api("INFO"), ...readBucket(PRESENCE_BUCKET), ...kvPut(PRESENCE_BUCKET, id)];
  const subscribe = [`${inboxPrefix(id)}.>`];
  const answers: string[] = [];
  let responses = false;
  if (role === "cell") {
    const consumers = [ownConsumer(MESSAGE_STREAM, `inbox-${id}`, messageSubject("*", id)), ownConsumer(MESSAGE_STREAM, `bcast-${id}`, messageSubject("*", "*"))];
    answers.push(...consumers.map((c) => c.ack));
    publish.push(
      ...stream(MESSAGE_STREAM),
      `aios.msg.${id}.>`,
      ...consumers.flatMap((c) => c.api),
      ...stream(RESULT_STREAM),
      `aios.task.result.${id}.>`,
      ...stream(`KV_${LOAD_BUCKET}`),
      ...kvPut(LOAD_BUCKET, id),
    );
    subscribe.push(`aios.task.assign.${id}`, `aios.task.exec.${id}`, `aios.task.cancel.${id}`);
    responses = true;
  } else if (role === "discovery") {
    // registers peers that speak only HTTP, and refreshes their records while they answer
    publish.push(...kvPut(PRESENCE_BUCKET, ">"));
  } else if (role === "task-dispatcher") {
    publish.push(
      "aios.task.assign.*",
      "aios.task.cancel.*",
      ...readBucket(TASK_BUCKET),
      ...kvPut(TASK_BUCKET, ">"),
      ...readBucket(LOAD_BUCKET),
      ...stream(RESULT_STREAM),
    );
    const results = ownConsumer(RESULT_STREAM, RESULTS_CONSUMER);
    publish.push(...results.api, results.ack);
  } else if (role === "vscode-bridge") {
    // runs a task on the least-loaded cell: reads the cells' load records
    publish.push("aios.task.exec.*", ...readBucket(LOAD_BUCKET));
  }
  // network-listener and consciousness-sync: their own presence and the network view, nothing more
  return { publish, subscribe, responses, answers };
}

/** The roles that send requests to cells (task assign, exec): cells answer into their inboxes. */
const REQUESTER_ROLES: BusRole[] = ["task-dispatcher", "vscode-bridge"];

const union = (lists: string[][]): string[] => [...new Set(lists.flat())];

/**
 * The rights of one leaf device's link, as the hub's user for it: what the device's members may
 * publish crosses into the hub, and what they may subscribe to is delivered to the leaf, so a
 * member the hub does not know (a phone dropped from its config, still listed by the leaf's own
 * stack) gets nothing across. `fleet` is every member the hub knows, on any device: a cell on the
 * leaf answers requests (allow_responses is per client, not per link), so the link may carry
 * answers into the inboxes of the members that send requests. nats-server swaps the two lists for
 * a leaf user, and the leaf server enforces them too (it gets them back in the hub's INFO).
 */
export function leafPermissions(members: { id: string; role: BusRole }[], fleet: { id: string; role: BusRole }[]): BusPermissions {
  const own = members.map((m) => busPermissions(m.id, m.role));
  const requesterInboxes = own.some((p) => p.responses) ? fleet.filter((m) => REQUESTER_ROLES.includes(m.role)).map((m) => `${inboxPrefix(m.id)}.>`) : [];
  return {
    publish: union([...own.flatMap((p) => [p.publish, p.answers]), requesterInboxes]),
    subscribe: union(own.map((p) => p.subscribe)),
    responses: false,
    answers: [],
  };
}
