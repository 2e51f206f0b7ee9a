// The app image, built from app/ (app/Dockerfile) on the device's own daemon. Containers use
// the built image's id, so a code change gives a new id and rolls them. With `deploy` set (an
// image id already on the device, e.g. the previous release), nothing is built: the containers
// run that image. Removing the build from the program leaves the device's images alone (the
// provider's Image does not delete tags when destroyed).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { resolve } from "node:path";

export const APP_DIR = resolve(import.meta.dirname, "../../app");

export interface AppImageArgs {
  name: string;
  nodeImage?: string | undefined;
  /** An image id on the device to run instead of building. */
  deploy?: string | undefined;
}

export class AppImage extends pulumi.ComponentResource {
  /** Image reference pinned to this build (repo digest / image id). */
  readonly ref: pulumi.Output<string>;

  constructor(name: string, args: AppImageArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:AppImage", name, {}, opts);
    if (args.deploy) {
      this.ref = pulumi.output(args.deploy);
      this.registerOutputs({ ref: this.ref });
      return;
    }
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
