// The Pulumi program: parse this stack's config once, build the device, export what users rely
// on. Secrets (termuxBootstrap, generated passwords, Vault keys) are Pulumi secrets:
// `pulumi stack output --show-secrets <name>` reveals one.
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "./config.ts";
import { buildDeviceStack } from "./stack.ts";
import { parseVpsConfig } from "./vps-config.ts";
import { buildVpsStack } from "./vps.ts";

const raw = pulumi.runtime.allConfig();
// The vps stack (or any stack with a droplet section): the droplet first, then the same device on it.
const vps = pulumi.getStack() === "vps" || "aios:droplet" in raw ? buildVpsStack(parseVpsConfig(raw)).outputs : undefined;
const out = vps ?? buildDeviceStack(parseConfig(raw)).outputs;

export const endpoints = out.endpoints;
export const caCertificate = out.caCertificate;
export const busUrl = out.busUrl;
export const grafanaUrl = out.grafanaUrl;
export const termuxBootstrap = out.termuxBootstrap;
export const dashboardPassword = out.dashboardPassword;
export const grafanaAdminPassword = out.grafanaAdminPassword;
export const vaultUnsealKey = out.vaultUnsealKey;
export const vaultRootToken = out.vaultRootToken;
export const operatorToken = out.operatorToken;
export const operatorBusPassword = out.operatorBusPassword;
export const busFleetKey = out.busFleetKey;
export const hostsEntries = out.hostsEntries;
export const publishedPorts = out.publishedPorts;
export const appImages = out.appImages;
export const docker = out.docker;
export const address = vps?.address;
export const hubUrl = vps?.hubUrl;
export const hubCaCertificate = vps?.hubCaCertificate;
