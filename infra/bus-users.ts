// The bus's own users, besides one per member: their names are reserved, so a member's id (its
// user's name) can never be one of them. Kept free of imports, since the config schema checks
// ids against them while the rest of infra/ imports the config.

/** The fleet commands' identity (tools/): may do anything on the bus, and call any member's API. */
export const OPERATOR_ID = "operator";

/** The leaf user a device's leaf server signs in to the hub as. */
export const leafUser = (device: string): string => `leaf-${device}`;

/**
 * The user nats-server gives a connection that brings no credentials (no_auth_user). Without it
 * nats-server up to 2.11 binds a leaf connection without credentials to the global account with
 * no permissions at all, users or not (nats-io/nats-server#6972, fixed in 2.12). This user may
 * connect only as MQTT, which no server here listens for, so such a connection, leaf or client,
 * is refused.
 */
export const NO_CREDENTIALS_USER = "no-credentials";
