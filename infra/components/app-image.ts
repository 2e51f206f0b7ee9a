// The app image, built from app/ (app/Dockerfile) on the device's own daemon. Containers use
// the built image's digest, so a code change gives a new digest and rolls them.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { resolve } from "node:path";

export const APP_DIR = resolve(import.meta.dirname, "../../app");

export interface AppImageArgs {
  name: string;
  nodeImage?: string | undefined;
}

export class AppImage extends pulumi.ComponentResource {
  /** Image reference pinned to this build (repo digest / image id). */
  readonly ref: pulumi.Output<string>;

  constructor(name: string, args: AppImageArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:AppImage", name, {}, opts);
    const image = new docker.Image(
      "app",
      {
        imageName: `${args.name}:latest`,
        skipPush: true,
        build: {
          context: APP_DIR,
          dockerfile: resolve(APP_DIR, "Dockerfile"),
          ...(args.nodeImage ? { args: { NODE_IMAGE: args.nodeImage } } : {}),
        },
      },
      { parent: this },
    );
    this.ref = image.repoDigest;
    this.registerOutputs({ ref: this.ref });
  }
}
