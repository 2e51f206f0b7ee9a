// JetStream streams the app creates on every (re)connect.
import { nanos, StorageType, type JetStreamManager, type StreamConfig } from "nats";

/** Kept at most a week, de-duplicated over ten minutes by message id, stored on disk. */
export const STREAM_DEFAULTS = {
  storage: StorageType.File,
  max_age: nanos(7 * 24 * 3600 * 1000),
  duplicate_window: nanos(10 * 60 * 1000),
};

/**
 * Creates the stream unless it exists. add() is idempotent for an identical config; when it
 * fails because another member created the stream first (or with other settings), the stream
 * is there, which is all a caller needs.
 */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  await jsm.streams.add({ ...STREAM_DEFAULTS, ...config }).catch(async (err: Error) => {
    await jsm.streams.info(config.name).catch(() => {
      throw err;
    });
  });
}
