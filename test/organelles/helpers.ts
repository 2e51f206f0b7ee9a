// Organelles and cells as real processes on a real nats-server, with short presence timings and
// mDNS off (the LAN of a test machine is not the subject), plus small task API readers.
import { api, startService, type ServiceHandle } from "../helpers/service.ts";
import { waitFor } from "../helpers/ports.ts";
import type { TaskRecord } from "../../app/src/organelles/task-dispatcher/record.ts";

export const FAST = { AIOS_HEARTBEAT_MS: "200", AIOS_DOWN_AFTER_MS: "1000", AIOS_MDNS: "off" };

export function startRole(natsUrl: string, role: string, env: Record<string, string> = {}): Promise<ServiceHandle> {
  return startService({ AIOS_ROLE: role, AIOS_NATS_URLS: natsUrl, ...FAST, ...env });
}

export function startCell(natsUrl: string, cellId: string, env: Record<string, string> = {}): Promise<ServiceHandle> {
  return startRole(natsUrl, "cell", { AIOS_CELL_ID: cellId, ...env });
}

/** A task as GET /task/:id/status serves it: the dispatcher's record. */
export type TaskJson = TaskRecord;

export async function submit(url: string, body: Record<string, unknown>): Promise<string> {
  const res = await api("POST", `${url}/task/submit`, body);
  if (res.status !== 202) throw new Error(`submit: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.task_id as string;
}

export async function task(url: string, id: string): Promise<TaskJson> {
  const res = await api("GET", `${url}/task/${id}/status`);
  if (res.status !== 200) throw new Error(`status of ${id}: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as unknown as TaskJson;
}

export function waitTask(url: string, id: string, what: string, ok: (t: TaskJson) => boolean, timeoutMs = 15_000): Promise<TaskJson> {
  return waitFor(`task ${id} ${what}`, async () => {
    const t = await task(url, id);
    return ok(t) ? t : undefined;
  }, timeoutMs);
}

/** Waits until the dispatcher counts `cellId` among the cells taking tasks. */
export function waitCellReady(url: string, cellId: string): Promise<unknown> {
  return waitFor(`${cellId} to take tasks`, async () => {
    const res = await api("GET", `${url}/dispatcher/stats`);
    return (res.json.cells as { cell_id: string }[]).some((c) => c.cell_id === cellId);
  });
}

export async function stopAll(handles: (ServiceHandle | undefined)[]): Promise<void> {
  await Promise.all(handles.map((h) => h?.kill("SIGKILL")));
}

/** A dispatcher whose task records are loaded (it answers 503 to submits before that). */
export async function startDispatcher(natsUrl: string, env: Record<string, string> = {}): Promise<ServiceHandle> {
  const d = await startRole(natsUrl, "task-dispatcher", env);
  await waitFor("the dispatcher to load its tasks", async () => (await api("GET", `${d.url}/dispatcher/stats`)).json.ready === true);
  return d;
}
