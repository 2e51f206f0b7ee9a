// The release step: after every app member of the device came up healthy on the image, keep it
// on the device as <repository>:good (and the one before as <repository>:previous). It runs
// again only when the image changes, so an unchanged `pulumi up` leaves it alone.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { parseRelease, renderRelease, type ReleaseImages } from "../render/release.ts";

export interface ReleaseArgs {
  /** The image id the members run. */
  image: pulumi.Input<string>;
  repository: string;
  /** DOCKER_HOST of the device's daemon; "" for the local one. */
  dockerHost: pulumi.Input<string>;
}

export class Release extends pulumi.ComponentResource {
  /** The ids kept on the device after this release. */
  readonly images: pulumi.Output<ReleaseImages>;

  constructor(name: string, args: ReleaseArgs, opts: pulumi.ComponentResourceOptions) {
    super("aios:infra:Release", name, {}, opts);
    const script = renderRelease(args.repository);
    const run = new command.local.Command(
      "release",
      {
        create: script,
        update: script,
        interpreter: ["/bin/sh", "-c"],
        // an empty DOCKER_HOST makes the docker CLI use its default (local) daemon
        environment: { IMAGE: args.image, DOCKER_HOST: args.dockerHost },
        triggers: [args.image],
      },
      { parent: this },
    );
    this.images = run.stdout.apply(parseRelease);
    this.registerOutputs({});
  }
}
