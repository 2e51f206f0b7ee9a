// aios:infra:Backup: a private Spaces bucket, a Spaces key that can only read and write that
// bucket, and a small container on the droplet that archives the data volumes to it on a
// schedule (busybox crond in the rclone image). The same script restores; see the README.
import * as digitalocean from "@pulumi/digitalocean";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { renderBackupCrontab, renderBackupScript, renderRcloneConfig } from "../render/backup-script.ts";
import { HEALTH_INTERVAL, RESTART } from "./container.ts";

export const BACKUP_IMAGE = "rclone/rclone:1.68";
export const BACKUP_SCRIPT = "/backup/aios-backup.sh";
export const RCLONE_CONFIG = "/config/rclone/rclone.conf";
const DATA_ROOT = "/data";

export interface BackupArgs {
  /** Docker on the droplet. */
  dockerProvider: docker.Provider;
  /** The data volumes to back up, by archive name (vault, nats, grafana). */
  sources: { name: string; volume: pulumi.Input<string> }[];
  bucket: string;
  region: string;
  schedule: string;
  keepDays: number;
}

/** Pure: where each volume sits in the backup container. */
export function backupPath(name: string): string {
  return `${DATA_ROOT}/${name}`;
}

export class Backup extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;

  constructor(name: string, args: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("aios:infra:Backup", name, {}, opts);
    const child = { parent: this };
    const bucket = new digitalocean.SpacesBucket(
      `${name}-bucket`,
      { name: args.bucket, region: args.region, acl: "private", versioning: { enabled: true } },
      child,
    );
    const key = new digitalocean.SpacesKey(
      `${name}-key`,
      { name: `${name}-writer`, grants: [{ bucket: bucket.name, permission: "readwrite" }] },
      child,
    );
    const rcloneConfig = pulumi.secret(
      pulumi
        .all([key.accessKey, key.secretKey])
        .apply(([accessKeyId, secretAccessKey]) => renderRcloneConfig({ region: args.region, accessKeyId, secretAccessKey })),
    );
    const sources = args.sources.map((s) => ({ name: s.name, path: backupPath(s.name) }));
    const script = renderBackupScript({ sources, target: `spaces:${args.bucket}/aios`, keepDays: args.keepDays });

    const onDroplet = { parent: this, provider: args.dockerProvider };
    const image = new docker.RemoteImage(`${name}-image`, { name: BACKUP_IMAGE, keepLocally: true }, onDroplet);
    new docker.Container(
      `${name}-runner`,
      {
        name: "aios-backup",
        image: image.imageId,
        entrypoints: ["crond", "-f", "-d", "8"],
        restart: RESTART,
        memory: 64,
        // healthy while crond runs and the last backup (if any) succeeded
        healthcheck: {
          tests: ["CMD", "sh", "-c", `pgrep -x crond >/dev/null && ${BACKUP_SCRIPT} health`],
          interval: HEALTH_INTERVAL,
          timeout: "5s",
          retries: 1,
          startPeriod: "20s",
        },
        envs: [`RCLONE_CONFIG=${RCLONE_CONFIG}`],
        mounts: args.sources.map((s) => ({ type: "volume", source: s.volume, target: backupPath(s.name), readOnly: true })),
        uploads: [
          { file: BACKUP_SCRIPT, content: script, executable: true },
          { file: "/etc/crontabs/root", content: renderBackupCrontab(args.schedule, BACKUP_SCRIPT) },
          { file: RCLONE_CONFIG, content: rcloneConfig },
        ],
      },
      // fixed name: the old runner goes before its replacement starts
      { ...onDroplet, dependsOn: [bucket], deleteBeforeReplace: true },
    );
    this.bucketName = bucket.name;
    this.registerOutputs({ bucketName: this.bucketName });
  }
}
