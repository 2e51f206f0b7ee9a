// A desktop or laptop stack: the device's Docker provider (local daemon, or ssh:// from config)
// and the device composition on it. Tests call this under Pulumi's mocks with a parsed stack file.
import * as docker from "@pulumi/docker";
import type { DeviceConfig } from "./config.ts";
import { Device } from "./components/device.ts";

export function buildDeviceStack(cfg: DeviceConfig): Device {
  const provider = new docker.Provider("docker", {
    ...(cfg.docker.host ? { host: cfg.docker.host } : {}),
    ...(cfg.docker.sshOpts.length ? { sshOpts: cfg.docker.sshOpts } : {}),
  });
  return new Device(cfg.device, { cfg, provider, publicHost: cfg.lanAddress, lan: { dns: cfg.dns } });
}
